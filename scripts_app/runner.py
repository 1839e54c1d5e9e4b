"""Serve one HTTP call with a script route: the same path for Django and ASGI.

Adapters (the catch-all view, the ASGI fast path) turn their request into an
`HttpCall` and send back the `HttpReply`; everything in between lives here.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.signals import setting_changed
from django.http import QueryDict

from engine import EngineError, Limits, Outcome, ScriptSource
from scripts_app.admission import Overloaded, refused
from scripts_app.conf import limits_for
from scripts_app.engines import engine
from scripts_app.hosting import Invocation, invoke_with_effects
from scripts_app.records import buffer, log_rows
from scripts_app.routing import Match, NoMatch, RouteTarget, routes
from tenants.errors import error_body

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=UTF-8"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HOP_BY_HOP = {
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
    "content-length",
}


@dataclass
class HttpCall:
    """A request for a script route, as plain values."""

    tenant: object  # tenants.models.Tenant
    method: str
    path: str  # without any /t/<slug> prefix
    query: dict
    headers: dict  # lower-case names, platform credentials removed
    body: bytes
    form: dict
    auth: dict
    user: dict | None
    request_id: str
    secure: bool = False  # came over HTTPS (decides Strict-Transport-Security)
    # scheme://host plus any script name and /t/<slug> prefix: meta.baseUrl
    base_url: str = ""


@dataclass
class HttpReply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    failure: str = ""  # why a script's answer was refused, for its execution record

    @classmethod
    def error(
        cls, status: int, code: str, message: str, request_id: str, headers=(), **extra
    ) -> HttpReply:
        body = json.dumps(error_body(code, message, request_id, **extra)).encode()
        return cls(status, [("Content-Type", "application/json"), *headers], body)


def platform_headers(secure: bool) -> list[tuple[str, str]]:
    """Return the headers Django's security middleware would add, from settings.

    Added to every reply unless the script set them itself, so the fast path
    answers with the same headers as the Django path (where the middleware
    then finds them present and leaves them alone).
    """
    return [(name, value) for name, value, _ in _platform_headers(secure)]


@functools.cache
def _platform_headers(secure: bool) -> tuple[tuple[str, str, str], ...]:
    """(name, value, lower-case name) of platform_headers, cached per `secure`."""
    return tuple((n, v, n.lower()) for n, v in _platform_headers_from_settings(secure))


def _platform_headers_from_settings(secure: bool) -> list[tuple[str, str]]:
    headers = []
    if settings.SECURE_HSTS_SECONDS and secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            sts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            sts += "; preload"
        headers.append(("Strict-Transport-Security", sts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        if isinstance(policy, str):
            policy = [v.strip() for v in policy.split(",")]
        headers.append(("Referrer-Policy", ",".join(policy)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        coop = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        headers.append(("Cross-Origin-Opener-Policy", coop))
    headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    return headers


@functools.cache
def _http_limits() -> Limits:
    return Limits.of(*limits_for("http"))


@functools.cache
def _secret_cookies() -> frozenset[str]:
    return frozenset((settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME))


def _forget_settings(**kwargs):
    """Drop what is derived from settings (tests change them; production never)."""
    _platform_headers.cache_clear()
    _http_limits.cache_clear()
    _secret_cookies.cache_clear()


setting_changed.connect(_forget_settings)


ANONYMOUS = {
    "isAuthenticated": False,
    "userId": None,
    "userName": None,
    "userEmail": None,
    "isAdmin": False,
}


async def find_route(tenant, method: str, path: str) -> Match | NoMatch:
    """Look the path up in the tenant's cached route table."""
    directory = routes()
    if directory.stale():
        await directory.refresh()
    return directory.table(tenant.id).match(method, path)


async def serve(call: HttpCall, found: Match | NoMatch | None = None) -> HttpReply:
    """Route the call (unless `found` says where), run the handler, build the reply."""
    if found is None:
        found = await find_route(call.tenant, call.method, call.path)
    if isinstance(found, Match):
        try:
            if found.target.asset:
                from assets_app.serving import serve_asset

                reply = await serve_asset(call, found.target)
            else:
                reply = await run_route(call, found)
        except ObjectDoesNotExist:
            # The script went away after this process last read its routes.
            routes().invalidate()
            reply = not_found(call)
        except Exception:
            log.exception("Serving %s %s failed", call.method, call.path)
            reply = HttpReply.error(
                500,
                "internal_error",
                "The platform failed while running the script.",
                call.request_id,
            )
    elif found.allowed:
        reply = HttpReply.error(
            405,
            "method_not_allowed",
            f"{call.method} is not allowed on {call.path}; "
            f"use {', '.join(found.allowed)}",
            call.request_id,
            headers=[("Allow", ", ".join(found.allowed))],
        )
    else:
        reply = not_found(call)
    if call.method == "HEAD":
        reply.body = b""
    present = {name.lower() for name, _ in reply.headers}
    reply.headers.extend(
        (name, value)
        for name, value, lower in _platform_headers(call.secure)
        if lower not in present
    )
    return reply


def not_found(call: HttpCall) -> HttpReply:
    return HttpReply.error(
        404, "not_found", f"No route for {call.path}", call.request_id
    )


async def run_route(call: HttpCall, found: Match) -> HttpReply:
    target = found.target
    execution_id = uuid.uuid4()
    started_at = datetime.now(tz=UTC)
    request = {
        "method": call.method,
        "path": call.path,
        "query": call.query,
        "form": call.form,
        "headers": call.headers,
        "body": call.body.decode("utf-8", "replace"),
        "params": found.params,
        "auth": call.auth,
    }
    context = {
        "request": request,
        "args": {},
        "kind": "http",
        "meta": {
            "requestId": call.request_id,
            "route": target.pattern,
            "baseUrl": call.base_url,
        },
        "tenant": {"id": call.tenant.slug, "name": call.tenant.name},
        "user": call.user,
        "script": {
            "id": target.script_name,
            "name": target.script_name,
            "type": "http",
            "capabilities": list(target.capabilities),
        },
        "execution": {"id": str(execution_id), "triggeredBy": "http"},
    }
    user_id = call.auth.get("userId")
    invocation = Invocation(
        tenant=call.tenant,
        script_id=target.script_id,
        script_name=target.script_name,
        kind="http",
        user_id=int(user_id) if user_id else None,
        execution_id=execution_id,
    )
    outcome = await invoke_with_effects(
        engine(),
        (target.script_id, target.version),
        target.handler,
        context,
        _http_limits(),
        lambda: load_source(call.tenant, target),
        invocation,
    )
    reply = reply_for(outcome, target, call.request_id)
    record(call, target, outcome, reply, execution_id, started_at)
    return reply


# Sources of recently built versions: a version never changes, and with more
# busy scripts than the pool holds, contexts are rebuilt all the time.
_SOURCES: OrderedDict[tuple, ScriptSource] = OrderedDict()
_SOURCES_MAX_CHARS = 32 * 1024 * 1024
_sources_chars = 0


def forget_sources() -> None:
    """Empty the source cache (tests: ids come back after a rollback)."""
    global _sources_chars
    _SOURCES.clear()
    _sources_chars = 0


async def load_source(tenant, target: RouteTarget) -> ScriptSource:
    global _sources_chars
    key = (target.script_id, target.version, tenant.slug, tenant.name)
    found = _SOURCES.get(key)
    if found is not None:
        _SOURCES.move_to_end(key)
        return found
    found = await sync_to_async(source_of)(tenant, target)
    if key not in _SOURCES:
        _SOURCES[key] = found
        _sources_chars += len(found.source)
        while _sources_chars > _SOURCES_MAX_CHARS and len(_SOURCES) > 1:
            _, old = _SOURCES.popitem(last=False)
            _sources_chars -= len(old.source)
    return found


def source_of(tenant, target: RouteTarget) -> ScriptSource:
    from scripts_app.models import ScriptVersion

    version = ScriptVersion.objects.select_related("script").get(
        script_id=target.script_id, number=target.version
    )
    return ScriptSource(
        version.source,
        version.script.filename,
        init_context=init_context(tenant, version.script),
    )


def init_context(tenant, script) -> dict:
    """The context init(context) receives, at upload and whenever a context is built."""
    return {
        "request": None,
        "args": {},
        "kind": "init",
        "meta": {},
        "tenant": {"id": tenant.slug, "name": tenant.name},
        "user": None,
        "script": {"id": script.name, "name": script.name, "type": "module"},
        "execution": {"id": None, "triggeredBy": "upload"},
    }


# -- results -> HTTP ------------------------------------------------------------------


def reply_for(outcome: Outcome, target: RouteTarget, request_id: str) -> HttpReply:
    if outcome.error is not None:
        err = outcome.error
        if isinstance(err, Overloaded):
            return too_many_requests(err, request_id)
        status = 504 if err.code == "timeout" else 500
        code = "script_timeout" if err.code == "timeout" else f"script_{err.code}"
        return HttpReply.error(status, code, error_text(err, target), request_id)
    try:
        return response_from_value(outcome.value, target.handler)
    except ValueError as exc:
        reply = HttpReply.error(500, "script_bad_response", str(exc), request_id)
        reply.failure = str(exc)
        return reply


def too_many_requests(err: Overloaded, request_id: str) -> HttpReply:
    """429 for an invocation the tenant's cap turned away (R9)."""
    retry = [("Retry-After", str(err.retry_after))]
    return HttpReply.error(429, "too_many_requests", err.message, request_id, retry)


def error_text(err: EngineError, target: RouteTarget) -> str:
    """Say what failed and where, in the uploaded file's line numbers (R12)."""
    if err.code == "handler_not_found":
        return (
            f"Handler '{target.handler}' of route {target.pattern} is not a "
            f"function in {target.filename}"
        )
    if err.line:
        column = f":{err.column}" if err.column else ""
        return f"{err.message} ({target.filename}:{err.line}{column})"
    return err.message


def response_from_value(value, handler: str = "handler") -> HttpReply:
    """Turn a handler's return value into an HTTP reply (R11)."""
    if isinstance(value, str):
        return HttpReply(200, [("Content-Type", TEXT)], value.encode())
    if not isinstance(value, dict):
        kind = "nothing" if value is None else f"a {type(value).__name__}"
        raise ValueError(
            f"Handler '{handler}' returned {kind}; return a response object "
            "{status, body} or a string"
        )
    status = value.get("status", 200)
    if isinstance(status, float) and status.is_integer():
        status = int(status)
    if (
        not isinstance(status, int)
        or isinstance(status, bool)
        or not 200 <= status <= 599  # 1xx is never a final response
    ):
        raise ValueError(f"Handler '{handler}' returned an invalid status: {status!r}")
    headers = value.get("headers") or {}
    if not isinstance(headers, dict):
        raise ValueError(f"Handler '{handler}' returned headers that are not an object")
    content_type = value.get("contentType")
    out_headers = []
    for name, header_value in headers.items():
        if not _HEADER_NAME.match(str(name)):
            raise ValueError(
                f"Handler '{handler}' returned an invalid header name: {name!r}"
            )
        header_value = str(header_value)
        if "\r" in header_value or "\n" in header_value:
            raise ValueError(f"Header '{name}' contains a line break")
        try:
            header_value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"Header '{name}' has characters outside Latin-1"
            ) from None
        if name.lower() == "content-type":
            content_type = content_type or header_value
        elif name.lower() not in _HOP_BY_HOP:
            out_headers.append((str(name), header_value))
    if value.get("bodyBase64") is not None:
        try:
            body = base64.b64decode(value["bodyBase64"], validate=True)
        except (ValueError, TypeError):
            raise ValueError(
                f"Handler '{handler}' returned invalid bodyBase64"
            ) from None
        content_type = content_type or "application/octet-stream"
    else:
        raw = value.get("body")
        if raw is None:
            body = b""
        elif isinstance(raw, str):
            body = raw.encode()
        else:
            body = json.dumps(raw).encode()
            content_type = content_type or "application/json"
    if status in (204, 304):
        body = b""  # HTTP allows no body here; servers break the connection
    out_headers.insert(0, ("Content-Type", content_type or TEXT))
    return HttpReply(status, out_headers, body)


# -- bookkeeping --------------------------------------------------------------------------


def record(
    call: HttpCall,
    target: RouteTarget,
    outcome: Outcome,
    reply: HttpReply,
    execution_id,
    started_at,
) -> None:
    """Queue the Execution row and its LogEntry rows (written off the request path)."""
    queue_execution(
        call.tenant.id,
        target,
        "http",
        f"{call.method} {call.path}",
        outcome,
        execution_id,
        started_at,
        response_status=reply.status,
        failure=reply.failure,
    )


def queue_execution(
    tenant_id,
    target: RouteTarget,
    kind: str,
    trigger: str,
    outcome: Outcome,
    execution_id,
    started_at,
    *,
    response_status: int | None = None,
    failure: str = "",
) -> None:
    """Queue an invocation's Execution row and logs, of any kind.

    `failure` says why an answer that ran fine was refused (an HTTP reply the
    platform could not send); it marks the execution as an error. An
    invocation the tenant's cap refused ran nothing and gets no row
    (scripts_app.admission counts and logs it).
    """
    if refused(outcome):
        return
    err = outcome.error
    state, error, extra = "ok", "", []
    if err is not None:
        state = {"timeout": "timeout", "memory_limit": "memory_limit"}.get(
            err.code, "error"
        )
        error = error_text(err, target)
        thrown = err.code == "runtime_error" and not error.startswith("Uncaught")
        uncaught = "Uncaught " if thrown else ""
        stack = f"\n{err.stack}" if err.stack else ""
        extra.append({"level": "ERROR", "message": f"{uncaught}{error}{stack}"})
    elif failure:
        state, error = "error", failure
        extra.append({"level": "ERROR", "message": failure})
    if outcome.dropped_logs:
        extra.append(
            {
                "level": "WARN",
                "message": f"{outcome.dropped_logs} more log entries were dropped",
            }
        )
    buffer().add(
        {
            "id": execution_id,
            "tenant_id": tenant_id,
            "script_id": target.script_id,
            "script_name": target.script_name,
            "version": target.version,
            "kind": kind,
            "handler": target.handler,
            "trigger": trigger[:300],
            "status": state,
            "response_status": response_status,
            "duration_ms": round(outcome.duration_ms, 3),
            "error": error,
            "started_at": started_at,
        },
        log_rows(
            tenant_id,
            target.script_id,
            target.script_name,
            execution_id,
            outcome.logs,
            extra,
        ),
    )


# -- building calls (shared by the Django view and the ASGI fast path) -----------------

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
URLENCODED = "application/x-www-form-urlencoded"


def clean_headers(pairs, *, drop_authorization: bool) -> dict:
    """Lower-case header names; keep platform credentials away from scripts.

    Repeated headers are joined with "," as Django joins them, so a script
    sees the same value whichever path served it.
    """
    secret_cookies = _secret_cookies()
    headers: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        if name == "authorization" and drop_authorization:
            continue
        if name == "cookie":
            value = "; ".join(
                c.strip()
                for c in value.split(";")
                if c.strip() and c.split("=", 1)[0].strip() not in secret_cookies
            )
            if not value:
                continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def form_of(method: str, content_type: str, body: bytes) -> dict:
    """Parse an url-encoded body of an unsafe method into {name: last value}."""
    if method not in UNSAFE:
        return {}
    if content_type.split(";", 1)[0].strip().lower() != URLENCODED:
        return {}
    return QueryDict(body, encoding="utf-8").dict()


def auth_for(user, role=None) -> tuple[dict, dict | None]:
    """Return (request.auth, context.user) for a Django user or None."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS, None
    auth = {
        "isAuthenticated": True,
        "userId": str(user.pk),
        "userName": user.get_username(),
        "userEmail": user.email or None,
        "isAdmin": bool(user.is_superuser or role == "owner"),
    }
    name = (user.get_full_name() or user.get_username()).strip()
    return auth, {"id": str(user.pk), "email": user.email or None, "name": name}
