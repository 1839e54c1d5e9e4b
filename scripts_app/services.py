"""Upload and delete scripts: validate, analyse in V8, store, publish routes."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from core.conf import scripts_setting
from core.plugins import Refused, overriding, source_body
from engine import CompileError, ScriptSource
from scripts_app.engines import engine, run_sync
from scripts_app.header import HeaderError, parse_header, runs_strict
from scripts_app.models import Route, Script, ScriptVersion, validate_script_name
from scripts_app.records import buffer, log_rows
from scripts_app.routing import reserved
from scripts_app.sources import init_context


class ScriptRejected(Exception):
    """An upload that cannot be stored; carries the HTTP status and details."""

    def __init__(self, status, code, message, line=None, column=None, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.details = details

    def extra(self):
        return {"line": self.line, "column": self.column, "details": self.details}


@dataclass
class Saved:
    script: Script
    created: bool
    registrations: dict
    warnings: list[str] = field(default_factory=list)


def check_name(name: str) -> None:
    try:
        validate_script_name(name)
    except Exception:  # noqa: BLE001 - turned into a 400 with the rule
        raise ScriptRejected(
            400,
            "invalid_script_id",
            "A script id is 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
        ) from None


@dataclass
class Prepared:
    """A source that passed every check and is ready to store."""

    tenant: object
    name: str
    source: str
    header: dict
    registrations: dict
    logs: list
    # The registrations the script made that failed (each call returned its
    # "Error: ..." string and registered nothing), without the "Error: ".
    warnings: list[str] = field(default_factory=list)
    # Stored as an example (load_examples), and the example scripts that give
    # way to this one (they hold something it registers: store() removes them).
    example: bool = False
    gives_way: list[str] = field(default_factory=list)


def save_script(tenant, name: str, source, user=None, *, example=False) -> Saved:
    """Analyse and store a script version, making it live everywhere.

    Raises ScriptRejected (and stores nothing) when the source is too large,
    is not UTF-8, does not compile, or fails in its top level or init()
    (throws, runs out of time or memory). Nothing a script registers refuses
    it: a registration call that failed (a bad path, a missing handler)
    returned its error and registered nothing, and a registration the host
    refuses (a path the platform keeps or another script holds, an SDL that
    does not parse, one past the limits) is dropped; Saved.warnings lists
    both, and the rest are stored.

    An example script (loaded from examples/ with `example`, and not saved
    otherwise since) holds its paths only until another script registers
    one of them: it is then removed, and Saved.warnings says so.
    """
    return store(prepare(tenant, name, source, example=example), user)


def prepare(tenant, name: str, source, *, example=False) -> Prepared:
    """Check a source in V8 without storing anything; raise ScriptRejected."""
    check_name(name)
    if isinstance(source, bytes):
        if len(source) > scripts_setting("MAX_SOURCE_BYTES"):
            raise _too_large(len(source))
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise ScriptRejected(
                400,
                "invalid_encoding",
                "The script is not valid UTF-8; save the file as UTF-8 and upload it "
                "again.",
            ) from None
    size = len(source.encode("utf-8"))
    if size > scripts_setting("MAX_SOURCE_BYTES"):
        raise _too_large(size)
    if not source.strip():
        raise ScriptRejected(
            400, "empty_script", "The script is empty; send its source as the body."
        )
    try:
        header = parse_header(source)
    except HeaderError as exc:
        raise ScriptRejected(
            400,
            "invalid_header",
            f"Invalid header comment (line {exc.line}): {exc}",
            line=exc.line,
        ) from None

    probe = Script.objects.filter(tenant=tenant, name=name).first() or Script(
        tenant=tenant, name=name
    )
    try:
        outcome = run_sync(
            _analyze,
            ScriptSource(
                source,
                probe.filename,
                init_context(tenant, probe),
                strict=runs_strict(header),
                body_function=source_body(header),
            ),
        )
    except CompileError as exc:
        line, column = _within_source(source, exc.line, exc.column)
        raise ScriptRejected(
            400,
            "compile_error",
            f"{exc.message} (line {line}, column {column})",
            line=line,
            column=column,
        ) from None
    if outcome.error is not None:
        raise _load_failure(outcome.error)
    # A registration call that failed returned its error to the script and
    # registered nothing; the upload goes through with the others, and its
    # answer lists the failures as warnings. So do the registrations only
    # the host can judge (a reserved path, another script's path, an SDL),
    # which vet() drops.
    warnings = [str(problem) for problem in outcome.registration_errors]
    registrations = outcome.registrations or {"routes": []}
    gives_way = [] if example else _examples_in_the_way(tenant, name, registrations)
    if gives_way:
        # Vetted as it will be stored: without those examples (rolled back).
        with transaction.atomic():
            Script.objects.filter(tenant=tenant, name__in=gives_way).delete()
            warnings += vet(tenant, name, registrations)
            transaction.set_rollback(True)
    else:
        warnings += vet(tenant, name, registrations)
    warnings += [_gave_way(other) for other in gives_way]
    return Prepared(
        tenant,
        name,
        source,
        header,
        registrations,
        outcome.logs,
        warnings,
        example=example,
        gives_way=gives_way,
    )


_HOLDER = re.compile(r"script '([^']+)'")


def _examples_in_the_way(tenant, name: str, registrations: dict) -> list[str]:
    """The example scripts of the tenant that hold something `name` registers."""
    examples = set(
        Script.objects.filter(tenant=tenant, example=True)
        .exclude(name=name)
        .values_list("name", flat=True)
    )
    if not examples:
        return []
    held = {
        holder
        for reason in reasons(_clashed(tenant, name, copy.deepcopy(registrations)))
        for holder in _HOLDER.findall(reason)
    }
    return sorted(held & examples)


# What a warning about an example that gave way says it became; planned()
# words it as what a save would do.
_REMOVED = "and was removed to make way for it"
_WOULD_BE_REMOVED = "and would be removed to make way for it"


def _gave_way(example: str) -> str:
    return (
        f"example script '{example}' held a path this script registers, {_REMOVED} "
        "(examples give way; `manage.py load_examples` loads the others again)"
    )


def gave_way(warning: str) -> bool:
    """Is this warning about an example removed for the script (not a refusal)?"""
    return warning.startswith("example script '") and _REMOVED in warning


def upload_warning(warning: str, prefix: str = "Registration refused") -> str:
    """A warning of a save as people read it: "<prefix>: ..." for a refused
    registration; an example that gave way was no refusal, and says so."""
    if gave_way(warning):
        return warning[0].upper() + warning[1:]
    return f"{prefix}: {warning}"


def planned(warning: str) -> str:
    """A warning as what saving would do (a dry run changes nothing)."""
    return (
        warning.replace(_REMOVED, _WOULD_BE_REMOVED) if gave_way(warning) else warning
    )


def vet(tenant, name: str, registrations: dict) -> list[str]:
    """Drop the registrations the platform cannot take; return why, as warnings.

    In order: what is over the per-script limits, what lies under the
    platform's own paths, what another script of the tenant already holds
    (it keeps it), then what each app refuses (core.plugins: Refused). Each
    check sees only what the earlier ones left. `registrations` is changed
    in place.
    """
    return reasons(_vetted(tenant, name, registrations))


def _vetted(tenant, name: str, registrations: dict) -> list[Refused]:
    refused = drop(registrations, _over_limits(registrations))
    refused += drop(registrations, _reserved_routes(registrations))
    for app in overriding("refused_script_paths"):
        refused += drop(registrations, app.refused_script_paths(registrations))
    return refused + _clashed(tenant, name, registrations)


def _clashes(tenant, name: str, registrations: dict) -> list[str]:
    """Drop what the tenant's other scripts hold; return the warnings."""
    return reasons(_clashed(tenant, name, registrations))


def _clashed(tenant, name: str, registrations: dict) -> list[Refused]:
    refused = drop(registrations, _route_clashes(tenant, name, registrations))
    for app in overriding("check_script_registrations"):
        refused += drop(
            registrations, app.check_script_registrations(tenant, name, registrations)
        )
    return refused


def drop(registrations: dict, refusals: list[Refused]) -> list[Refused]:
    """Remove each refused entry from `registrations`; return the refusals."""
    gone: dict[str, set[int]] = {}
    for refusal in refusals:
        gone.setdefault(refusal.kind, set()).add(id(refusal.entry))
    for kind, ids in gone.items():
        entries = registrations.get(kind)
        if isinstance(entries, list):
            registrations[kind] = [e for e in entries if id(e) not in ids]
    return list(refusals)


def reasons(refusals: list[Refused]) -> list[str]:
    """The warnings of some refusals, each once, in order."""
    return list(dict.fromkeys(refusal.reason for refusal in refusals))


def _reserved_routes(registrations: dict) -> list[Refused]:
    return [
        Refused("routes", r, f"route {r['method']} {r['path']}: {RESERVED}")
        for r in registrations.get("routes", [])
        if reserved(r["path"])
    ]


# Why a registration under the platform's own paths is dropped
# (scripts_app.routing.reserved; the apps' refused_script_paths say it too).
RESERVED = "the path is the platform's (reserved)"


def _over_limits(registrations: dict) -> list[Refused]:
    """The registrations past a script's limits: the later ones are dropped.

    Each costs every process memory and work (route tables, directories) for
    as long as the script exists, so one upload must not register without end.
    """
    refused = []
    limit = scripts_setting("MAX_REGISTRATIONS_PER_SCRIPT")
    for kind, registered in registrations.items():
        if isinstance(registered, list) and len(registered) > limit:
            extra = registered[limit:]
            reason = _too_many(
                f"registrations of kind '{kind}'",
                len(registered),
                limit,
                "SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT",
            )
            refused += [Refused(kind, entry, reason) for entry in extra]
    dropped = {id(r.entry) for r in refused}
    routes = [e for e in route_entries(registrations) if id(e[1]) not in dropped]
    limit = scripts_setting("MAX_ROUTES_PER_SCRIPT")
    if len(routes) > limit:
        extra = routes[limit:]
        reason = (
            _too_many("routes", len(routes), limit, "SCRIPT_MAX_ROUTES_PER_SCRIPT")
            + ": "
            + _listed([_described(kind, route) for kind, _, route in extra])
        )
        refused += [Refused(kind, entry, reason) for kind, entry, _ in extra]
    return refused


def _too_many(what: str, count: int, limit: int, setting: str) -> str:
    extra = count - limit
    return (
        f"{count:,} {what}: a script may register at most {limit:,} ({setting}); "
        f"the last {extra:,} {'was' if extra == 1 else 'were'} dropped"
    )


def _listed(items: list[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most:,} more" if len(items) > most else "")


def _described(kind: str, route: dict) -> str:
    """A route-table entry as a warning names it: "route GET /x", "asset route /a"."""
    if route["kind"]:
        return f"{route['kind']} route {route['path']}"
    return f"route {route['method']} {route['path']}"


def route_entries(registrations: dict) -> list[tuple[str, dict, dict]]:
    """(kind, registration, route-table entry) of every route an upload declares.

    Handler routes first, then the apps' (an asset route); each route-table
    entry is {method, path, handler, kind, resource} and comes with the
    registration that declared it, so a route that cannot be had drops it.
    """
    out = [
        ("routes", r, {**r, "kind": "", "resource": ""})
        for r in registrations.get("routes", [])
    ]
    for app in overriding("script_routes"):
        for kind, entries in registrations.items():
            if kind == "routes" or not isinstance(entries, list):
                continue
            for entry in entries:
                out += [
                    (kind, entry, {"handler": "", **route})
                    for route in app.script_routes({kind: [entry]})
                ]
    return out


def declared_routes(registrations: dict) -> list[dict]:
    """The route-table entries of an upload: its handler routes, then the apps'.

    Each is {method, path, handler, kind, resource}; an app's entries (an
    asset route) have a kind and a resource instead of a handler.
    """
    return [route for _, _, route in route_entries(registrations)]


def store(prepared: Prepared, user=None) -> Saved:
    """Store a prepared version and its registrations in one transaction.

    The tenant's uploads take turns here (a lock on the tenant's row), and
    the clash checks run again inside, so a path another upload took since
    prepare() is dropped with a warning too: the first owner keeps a path,
    and no path ever has two.
    """
    tenant, name = prepared.tenant, prepared.name
    user = user if user is not None and user.is_authenticated else None
    registrations = prepared.registrations
    try:
        with transaction.atomic():
            type(tenant).objects.select_for_update().filter(pk=tenant.pk).first()
            if prepared.gives_way:
                for other in Script.objects.filter(
                    tenant=tenant, name__in=prepared.gives_way, example=True
                ):
                    delete_script(other)
            script = (
                Script.objects.select_for_update()
                .filter(tenant=tenant, name=name)
                .first()
            )
            for warning in _clashes(tenant, name, registrations):
                if warning not in prepared.warnings:
                    prepared.warnings.append(warning)
            created = script is None
            if created:
                script = Script(tenant=tenant, name=name, version=1)
            else:
                script.version += 1
            script.source = prepared.source
            script.header = prepared.header
            script.registrations = registrations
            script.example = prepared.example
            script.author = user
            script.save()
            ScriptVersion.objects.create(
                script=script,
                number=script.version,
                source=prepared.source,
                author=user,
            )
            Route.objects.filter(script=script).delete()
            Route.objects.bulk_create(
                [
                    Route(
                        tenant=tenant,
                        script=script,
                        method=r["method"],
                        path=r["path"],
                        handler=r["handler"],
                        kind=r["kind"],
                        resource=r["resource"],
                    )
                    for r in declared_routes(registrations)
                ]
            )
            for app in overriding("store_script_registrations"):
                app.store_script_registrations(script, registrations)
    except IntegrityError:
        raise ScriptRejected(
            409, "conflict", "The script was changed at the same time; try again."
        ) from None
    # The refused registrations go to the script's logs too, where people
    # look later, not only to the answer of the upload.
    refused = [
        {
            "level": "WARN",
            "message": upload_warning(w, "Registration refused at upload"),
        }
        for w in prepared.warnings
    ]
    if prepared.logs or refused:
        buffer().add_logs(
            log_rows(tenant.id, script.id, script.name, None, prepared.logs, refused)
        )
    return Saved(script, created, registrations, prepared.warnings)


# -- registrations made outside init() ----------------------------------------------
#
# The reference implementation keeps some registrations a handler makes (a
# stream, a listener) for the script's lifetime. Here the app's JS checks the
# call, asks the host whether the platform would take it (judge_later, for
# the call's answer), and buffers an effect (R5); once the invocation
# succeeds, the app stores what add_later accepts, inside the invocation's
# transaction. They join the script's stored registrations until its next
# upload, whose init() starts the set afresh.


def judge_later(tenant, script, kind: str, entries: list[dict], key=None):
    """Vet registrations of `kind` a handler made, on top of the stored ones.

    Returns (the new entries the platform takes, the script's registrations
    with them added, the warnings for the others): the checks an upload's
    registrations pass (vet), with the script's stored ones counted, and
    its own stored paths as well as the other scripts' (an upload replaces
    its own; these join them). An entry whose key(entry) (default: the
    entry) is a stored one's is not new. Reads only.
    """
    key = key or (lambda entry: entry)
    registrations = copy.deepcopy(script.registrations or {})
    stored = list(registrations.get(kind) or [])
    seen = [key(entry) for entry in stored]
    fresh = []
    for entry in entries:
        if key(entry) not in seen:
            seen.append(key(entry))
            fresh.append(entry)
    trial = copy.deepcopy(registrations)
    trial[kind] = [*copy.deepcopy(stored), *fresh]
    # No script name is "": the checks then count the script's own stored
    # rows as holders too. Only what they say of the new entries matters.
    mine = {id(entry) for entry in fresh}
    warnings = reasons([r for r in _vetted(tenant, "", trial) if id(r.entry) in mine])
    left = {id(e) for e in trial.get(kind) or []}
    kept = [entry for entry in fresh if id(entry) in left]
    registrations[kind] = [*stored, *kept]
    return kept, registrations, warnings


def add_later(invocation, kind: str, entries: list[dict], what: str, key=None):
    """Store-side of judge_later, inside the invocation's transaction.

    Takes the tenant's upload lock (as store() does: a path never gets two
    owners), saves the script's registrations with the accepted entries and
    returns (script, accepted entries, warnings); the caller writes its
    app's rows for them and bumps its counter. Nothing is accepted from a
    version of the script that an upload has replaced since (`what` names
    the registration in that warning).
    """
    tenant = invocation.tenant
    type(tenant).objects.select_for_update().filter(pk=tenant.pk).first()
    script = (
        Script.objects.select_for_update()
        .filter(pk=invocation.script_id, tenant=tenant)
        .first()
    )
    if script is None:
        return None, [], []
    if invocation.version is not None and script.version != invocation.version:
        return (
            script,
            [],
            [
                f"{what}: version {invocation.version} of the script registered "
                f"it, but version {script.version} has replaced it"
            ],
        )
    kept, registrations, warnings = judge_later(tenant, script, kind, entries, key)
    if kept:
        # update(), not save(): only the registrations changed.
        Script.objects.filter(pk=script.pk).update(registrations=registrations)
        script.registrations = registrations
    return script, kept, warnings


def _route_clashes(tenant, name: str, registrations: dict) -> list[Refused]:
    """The routes another script of the tenant holds (it keeps them).

    A route of an app's kind (an asset route) holds its whole path: no
    handler route of any method may share it, and it may not share a path
    with any other route. (Within one script, registerRoute and the like
    already refused a path the script holds, at call time.)
    """
    taken, whole, paths = {}, {}, {}
    others = (
        Route.objects.filter(tenant=tenant)
        .exclude(script__name=name)
        .values_list("method", "path", "script__name", "kind")
    )
    for method, path, other, kind in others:
        if kind:
            whole[path] = other
        else:
            taken[(method, path)] = other
        paths.setdefault(path, other)
    refused = []
    for kind, entry, route in route_entries(registrations):
        path = route["path"]
        if route["kind"]:
            holder = paths.get(path)
        else:
            holder = taken.get((route["method"], path)) or whole.get(path)
        if holder:
            refused.append(
                Refused(
                    kind,
                    entry,
                    f"{_described(kind, route)}: script '{holder}' already serves it",
                )
            )
    return refused


def delete_script(script: Script) -> None:
    script.delete()


async def _analyze(source: ScriptSource):
    return await engine().analyze(source)


def _load_failure(err) -> ScriptRejected:
    """Describe a failure while running the top level and init()."""
    if err.code == "timeout":
        code = "init_timeout"
        message = (
            "The top level and init() did not finish within their "
            f"{scripts_setting('INIT_TIMEOUT_SECONDS'):g} s limit and were stopped; "
            "look for an endless loop or slow work at load time"
        )
    elif err.code == "memory_limit":
        code = "init_memory_limit"
        message = f"While loading (top level and init()): {err.message}"
    else:
        code = "init_failed"
        message = f"The script threw while loading (top level or init()): {err.message}"
    if err.line:
        message += f" (line {err.line}, column {err.column})"
    return ScriptRejected(
        400,
        code,
        message,
        line=err.line,
        column=err.column,
        details={"stack": err.stack} if err.stack else None,
    )


def _within_source(source: str, line, column):
    """Clamp a position past the end (V8's 'Unexpected end of input') to the end."""
    lines = source.split("\n")
    if line is None or line <= len(lines):
        return line, column
    return len(lines), len(lines[-1]) + 1


def _too_large(size):
    limit = scripts_setting("MAX_SOURCE_BYTES")
    return ScriptRejected(
        413,
        "too_large",
        f"The script is {size} bytes; the limit is {limit} bytes "
        "(SCRIPT_MAX_SOURCE_BYTES).",
    )


__all__ = [
    "Prepared",
    "RESERVED",
    "add_later",
    "judge_later",
    "Saved",
    "ScriptRejected",
    "delete_script",
    "prepare",
    "save_script",
    "store",
]
