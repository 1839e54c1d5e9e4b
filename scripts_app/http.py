"""HTTP calls and replies as plain values: what both request paths build and send.

The catch-all view and the ASGI fast path turn their request into an
`HttpCall`; scripts_app.serving answers it with an `HttpReply`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.http import QueryDict

from core.conf import derived, scripts_setting
from engine import Outcome
from scripts_app.admission import Overloaded
from scripts_app.executions import error_text
from scripts_app.routing import RouteTarget
from tenants.errors import error_body

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
    warning: str = ""  # what the script should know about an answer that was sent

    @classmethod
    def error(
        cls, status: int, code: str, message: str, request_id: str, headers=(), **extra
    ) -> HttpReply:
        body = json.dumps(error_body(code, message, request_id, **extra)).encode()
        return cls(status, [("Content-Type", "application/json"), *headers], body)


CSP = "content-security-policy"
ACAO = "access-control-allow-origin"


def add_platform_headers(
    reply: HttpReply, secure: bool, origin: str | None = None
) -> None:
    """Add the platform's headers to a reply on a script path, from settings.

    Django's security headers (what its middleware would add) and the
    operator's SCRIPTS["RESPONSE_HEADERS"] are added unless the script set
    them itself, so the fast path answers with the same headers as the Django
    path (where the middleware then finds them present and leaves them
    alone). A Content-Security-Policy is the exception: a script's own policy
    is sent as well as the platform's, and a browser enforces both, so a
    script can tighten the sandbox but never lift it. A request from a
    sandboxed page (`Origin: null`) may read the reply, so that a script's
    page can call its own routes; it carries no cookies, so it reads what an
    anonymous caller would.
    """
    present = {name.lower(): i for i, (name, _) in enumerate(reply.headers)}
    for name, value, lower in _platform_headers(secure):
        if lower not in present:
            reply.headers.append((name, value))
        elif lower == CSP:
            index = present[lower]
            reply.headers[index] = (name, f"{value}, {reply.headers[index][1]}")
    if origin == "null" and ACAO not in present:
        reply.headers.append(("Access-Control-Allow-Origin", "null"))
        if "vary" in present:
            index = present["vary"]
            name, value = reply.headers[index]
            reply.headers[index] = (name, f"{value}, Origin")
        else:
            reply.headers.append(("Vary", "Origin"))


@derived
def _platform_headers(secure: bool) -> tuple[tuple[str, str, str], ...]:
    """(name, value, lower-case name) of the platform headers, cached per `secure`."""
    headers = {n.lower(): (n, v) for n, v in _platform_headers_from_settings(secure)}
    for name, value in (scripts_setting("RESPONSE_HEADERS") or {}).items():
        if value:
            headers[name.lower()] = (name, str(value))
        else:
            headers.pop(name.lower(), None)
    return tuple((n, v, lower) for lower, (n, v) in headers.items())


@derived
def removed_headers() -> frozenset[str]:
    """Lower-case names an operator took off script replies (a None or "" value)."""
    configured = scripts_setting("RESPONSE_HEADERS") or {}
    return frozenset(name.lower() for name, value in configured.items() if not value)


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


@derived
def _secret_cookies() -> frozenset[str]:
    return frozenset((settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME))


ANONYMOUS = {
    "isAuthenticated": False,
    "userId": None,
    "userName": None,
    "userEmail": None,
    "isAdmin": False,
}

# -- results -> HTTP ------------------------------------------------------------------


def reply_for(outcome: Outcome, target: RouteTarget, request_id: str) -> HttpReply:
    if outcome.error is not None:
        err = outcome.error
        if isinstance(err, Overloaded):
            return too_many_requests(err, request_id)
        if err.code in ("busy", "write_conflict"):  # try again later
            # No context came free in time; writes kept conflicting (R5).
            return HttpReply.error(
                503,
                f"script_{err.code}",
                err.message,
                request_id,
                [("Retry-After", "1")],
            )
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


def response_from_value(value, handler: str = "handler") -> HttpReply:
    """Turn a handler's return value into an HTTP reply (R11)."""
    if isinstance(value, str):
        return HttpReply(200, [("Content-Type", TEXT)], value.encode())
    if value is None:
        # The reference implementation answers 200 to a handler that returns
        # nothing, and its own test scripts rely on it (a route that only
        # broadcasts); the script's log still says what to return.
        return HttpReply(
            200,
            [("Content-Type", TEXT)],
            b"",
            warning=f"Handler '{handler}' returned nothing; answered 200 with an "
            "empty body (return a response object {status, body} or a string)",
        )
    if not isinstance(value, dict):
        kind = f"a {type(value).__name__}"
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
        refused = _refused_header(name.lower(), header_value)
        if refused:
            raise ValueError(f"Handler '{handler}' {refused}")
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


def _refused_header(lower: str, value: str) -> str:
    """Why a script may not send this header ("" when it may).

    The session and CSRF cookies are the platform's: a script that set one
    could sign a visitor in as someone else, or plant a CSRF token it knows.
    Clear-Site-Data would clear them. Other cookies are the script's own.
    """
    if lower == "set-cookie":
        pair = value.split(";", 1)[0]
        # A pair without "=" is a nameless cookie to browsers; refuse it too
        # when it reads like one of ours.
        name = pair.split("=", 1)[0].strip()
        if name in _secret_cookies():
            return (
                f"may not set the platform's cookie '{name}' "
                "(SESSION_COOKIE_NAME and CSRF_COOKIE_NAME are reserved)"
            )
    elif lower == "clear-site-data":
        kinds = value.lower()
        if "cookies" in kinds or "*" in kinds:
            return "may not clear cookies (Clear-Site-Data): the platform's are there"
    return ""


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


def auth_for(user, role=None, permissions=None) -> tuple[dict, dict | None]:
    """Return (request.auth, context.user) for a Django user or None.

    `role` is the user's role in the tenant (tenants.models.role_of); it sets
    auth.isAdmin and context.user.permissions (tenants.models.ROLE_PERMISSIONS),
    unless `permissions` gives them (scripts_app.policy.permissions_for: the
    role's plus the object grants on the script being run).
    """
    if user is None or not user.is_authenticated:
        return ANONYMOUS, None
    auth = {
        "isAuthenticated": True,
        "userId": str(user.pk),
        "userName": user.get_username(),
        "userEmail": user.email or None,
        "isAdmin": bool(user.is_superuser or role == "owner"),
    }
    from tenants.models import Role, permissions_of

    name = (user.get_full_name() or user.get_username()).strip()
    return auth, {
        "id": str(user.pk),
        "email": user.email or None,
        "name": name,
        "permissions": permissions
        if permissions is not None
        else permissions_of(Role.OWNER if user.is_superuser else role),
    }
