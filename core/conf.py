"""The one accessor for the SCRIPTS settings dict, with defaults applied.

`config/settings.py` sets only what the environment overrides (None there
means "not set"). Every default is written once: the platform's here, an
app's own in its plugin (core.plugins.ScriptPlugin.script_settings). Values
derived from any setting are cached with `derived`, and every such cache is
emptied when a setting changes (tests change them; production never does).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    "VM_POOL_SIZE": 256,
    # Warm contexts one script version may have at once: a call blocked in a
    # host call (a slow fetch) holds its context, so overlapping calls get
    # another, up to this many; past it they wait for one to come free.
    "VM_CONTEXTS_PER_SCRIPT": 8,
    # How much lower than the server's own threads scripts run (Linux nice,
    # 0-19): busy scripts cannot slow the 429s, /health or stream delivery.
    "VM_NICE": 19,
    "MAX_SOURCE_BYTES": 1024 * 1024,
    "INIT_TIMEOUT_SECONDS": 5.0,
    "ROUTE_REFRESH_SECONDS": 0.5,
    "RECORD_FLUSH_SECONDS": 0.25,
    "RECORD_BATCH_SIZE": 500,
    "MAX_LOG_MESSAGE_CHARS": 8192,
    "MAX_LOGS_PER_INVOCATION": 1000,
    # console.listLogs()/listLogsForUri(uri): the newest entries returned;
    # console.pruneLogs(): the newest entries of each script it keeps.
    "LOGS_LISTED_MAX": 1000,
    "LOGS_KEPT_ON_PRUNE": 100,
    # What may leave a script's V8 context in one piece, checked there before
    # the host copies it: the reply of one engine call (response, logs and
    # buffered writes) and the arguments of one host call (a fetch body, a
    # message), in characters of JSON. Room for the largest asset (10 MB, 13.4
    # MB in base64) in a reply, and for a 10 MB fetch body, escaped.
    "MAX_OUTPUT_BYTES": 32 * 1024 * 1024,
    "MAX_HOST_CALL_BYTES": 16 * 1024 * 1024,
    # An execution record keeps the handler's return value (as JSON) up to
    # this many characters, for the runs that ask for it (manual, scheduled).
    "EXECUTION_RESULT_CHARS": 64 * 1024,
    # execution mode: (seconds, megabytes); see RUNTIME.md R8.
    "LIMITS": {
        "pre-processing": (2.0, 20),
        "http": (20.0, 20),
        "cron": (30.0, 128),
    },
    "DEFAULT_TENANT": "default",
    # Fan-out (core.hub) and SSE framing (core.sse), shared by every app that
    # pushes messages to clients: streams, GraphQL subscriptions.
    "STREAM_KEEPALIVE_SECONDS": 15.0,
    "STREAM_MAX_CONNECTIONS": 10_000,
    "STREAM_MAX_MESSAGE_BYTES": 64 * 1024,
    "STREAM_CLIENT_BUFFER": 1000,
    # How deep invocations may start one another (messages, executeGraphQL).
    "DISPATCH_MAX_DEPTH": 8,
    # Running invocations per tenant (R9; scripts_app.admission), 0: no cap.
    # High enough that one tenant's fast handlers can keep a worker busy (the
    # benchmark's 64 connections at one tenant, however they spread over
    # workers, are never refused); low enough that a flood is refused at once
    # instead of queueing into its time limits.
    "MAX_CONCURRENT_PER_TENANT": 64,
    # How deep JSON from outside may nest (core.json_input): request bodies of
    # the REST API and the GraphQL endpoints, GraphQL variables.
    "MAX_JSON_DEPTH": 100,
    # Host names of the console (admin, /system, /graphql); empty: one
    # host serves everything (scripts_app.console).
    "CONSOLE_HOSTS": (),
    # Headers of every reply on a script path, unless the script sets them
    # (a script's Content-Security-Policy is sent as well as this one, so it
    # can only tighten it); a None or "" value takes a header off. The sandbox
    # makes a script's page an opaque origin: its requests carry no cookies
    # of the console and cannot read its pages, whatever host serves both.
    "RESPONSE_HEADERS": {
        "Content-Security-Policy": (
            "sandbox allow-scripts allow-forms allow-popups allow-modals "
            "allow-downloads"
        ),
    },
    # Writes that conflict (R5): runs of an invocation before it re-runs
    # holding a lock on the contended keys (scripts_app.contention), and the
    # longest it waits for that lock (its time limit bounds it too).
    "STORAGE_OPTIMISTIC_ATTEMPTS": 2,
    "STORAGE_LOCK_WAIT_SECONDS": 10.0,
    # What one script's init() may register (scripts_app.services).
    "MAX_ROUTES_PER_SCRIPT": 200,
    "MAX_REGISTRATIONS_PER_SCRIPT": 1000,
    # What one root invocation (a request, a job...) may cause in all, however
    # wide its messages fan out (scripts_app.budget): runs of other handlers
    # (listeners, resolvers of executeGraphQL) and host calls across them all.
    "MAX_RUNS_PER_REQUEST": 200,
    "MAX_HOST_CALLS_PER_REQUEST": 20_000,
}

_derived: list = []


def derived(function):
    """Cache `function` (as functools.cache does) until a setting changes."""
    cached = functools.cache(function)
    _derived.append(cached)
    return cached


def _forget_derived(**kwargs) -> None:
    for cached in _derived:
        cached.cache_clear()


setting_changed.connect(_forget_derived)


def scripts_setting(name):
    """Return SCRIPTS[name], or its default when it is missing or None."""
    return _scripts()[name]


@derived
def _scripts() -> dict:
    from core.plugins import setting_defaults

    configured = getattr(settings, "SCRIPTS", None) or {}
    merged = {**DEFAULTS, **setting_defaults()}
    merged.update((k, v) for k, v in configured.items() if v is not None)
    merged["LIMITS"] = _limits(DEFAULTS["LIMITS"], configured.get("LIMITS") or {})
    # Header by header: setting one leaves the others' defaults in place.
    merged["RESPONSE_HEADERS"] = {
        **DEFAULTS["RESPONSE_HEADERS"],
        **(configured.get("RESPONSE_HEADERS") or {}),
    }
    return merged


def _limits(defaults: dict, configured: dict) -> dict:
    """Each row (seconds, megabytes), a missing or None half taken from defaults."""
    rows = dict(defaults)
    for row, value in configured.items():
        if value is None:
            continue
        default = defaults.get(row, (None, None))
        rows[row] = tuple(
            given if given is not None else fallback
            for given, fallback in zip(value, default, strict=True)
        )
    return rows


def limits_for(kind) -> tuple[float, int]:
    """Return (seconds, megabytes) for an execution kind.

    A kind gets the row its app declares (script_execution_kinds), else the
    row named like it, else the "http" row.
    """
    return _limits_by_kind(kind)


@derived
def _limits_by_kind(kind) -> tuple[float, int]:
    from core.plugins import execution_kinds

    rows = _scripts()["LIMITS"]
    row = execution_kinds().get(kind) or (kind if kind in rows else "http")
    return rows[row]
