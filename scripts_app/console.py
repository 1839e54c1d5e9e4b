"""Keep script pages away from the console: console hosts and console origins.

Script pages are written by tenants. On the host where the admin signs in,
such a page would share the console's origin, so it could act with the
admin's session. So:

- With SCRIPTHOST_CONSOLE_HOSTS set (the production shape), the console
  (/system with the admin, its sign-in and the REST API; /graphql) answers on
  those hosts only, and script routes answer on every other host only. The session and
  CSRF cookies are host-only, so they never reach a tenant's domain.
- On the single-host default, everything answers on one host, and a
  session-authenticated write to the console must come from a page of the
  console's origin (its Origin header, else its Referer). Script pages are
  sandboxed (scripts_app.http, SCRIPTS["RESPONSE_HEADERS"]), so their
  requests carry `Origin: null` and no cookies.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from scripts_app.http import UNSAFE
from scripts_app.routing import reserved
from tenants.errors import error_response
from tenants.middleware import DualMiddleware
from tenants.resolve import console_hosts, directory, host_without_port

# Reserved paths that answer on every host: load balancers probe /health,
# and /static holds only the platform's public files.
EVERYWHERE = ("/health", "/static/")


def on_console_host(host: str) -> bool:
    """Does `host` (a Host header) serve the console? Every host does by default."""
    hosts = console_hosts()
    return not hosts or host_without_port(host) in hosts


def console_path(path: str) -> bool:
    """Is `path` (with any /t/<slug> prefix removed) one of the console's?"""
    return reserved(path) and not (path == "/health" or path.startswith(EVERYWHERE))


def misplaced(host: str, path: str) -> str | None:
    """Why `path` is not served on `host`, or None when it is."""
    hosts = console_hosts()
    if not hosts or path == "/health" or path.startswith(EVERYWHERE):
        return None
    if host_without_port(host) in hosts:
        if not console_path(path):
            return (
                "Script routes are not served on the console host; "
                "use the tenant's domain."
            )
    elif console_path(path):
        return "This path is served on the console host only."
    return None


def _token_auth(request) -> bool:
    keyword = request.headers.get("Authorization", "").split(" ", 1)[0]
    return keyword.lower() == "token"


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _console_origin(request, origin: str) -> bool:
    """Is `origin` a page of the console, as the request reached it?"""
    own = f"{request.scheme}://{request.get_host()}".lower()
    if origin == own:
        return True
    scheme, _, host = origin.partition("://")
    hosts = console_hosts()
    if hosts and scheme == request.scheme and host_without_port(host) in hosts:
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted = trusted.lower()
        if origin == trusted:
            return True
        t_scheme, _, t_host = trusted.partition("://")
        wildcard = t_host.startswith("*.") and scheme == t_scheme
        if wildcard and host.endswith(t_host[1:]):  # as Django reads "*.domain"
            return True
    return False


def origin_refusal(request, path: str) -> str | None:
    """Why an unsafe session request to the console is refused, or None.

    Only requests that may authenticate by the session are checked: a token
    caller (`Authorization: Token ...`) sends no cookie-borne authority. The
    page that sent the request is its Origin, else its Referer. A request
    with neither is left to Django's CSRF token check unless it comes from a
    browser (Sec-Fetch-Site): every current browser sends Origin on unsafe
    requests, and test clients and scripts send neither.
    """
    if request.method not in UNSAFE or not console_path(path):
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or _token_auth(request):
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            if "Sec-Fetch-Site" in request.headers:
                return "A browser request without Origin or Referer."
            return None
        origin = _origin_of(referer) or "null"
    origin = origin.strip().lower()
    if origin != "null" and _console_origin(request, origin):
        return None
    return f"The request came from {origin[:100]}, which is not the console's origin."


class ConsoleMiddleware(DualMiddleware):
    """Answer the console on console hosts only; refuse writes from other origins.

    Placed before Django's security middleware, so that on the way out it can
    also drop the headers an operator removed from script replies
    (SCRIPTS["RESPONSE_HEADERS"]) after Django's middlewares added theirs.
    """

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        found = directory().resolve_sync(request.get_host(), request.path_info)
        refused = self._refusal(request, found.path)
        return self._out(refused or self.get_response(request))

    async def _acall(self, request):
        found = await directory().resolve(request.get_host(), request.path_info)
        refused = self._refusal(request, found.path)
        return self._out(refused or await self.get_response(request))

    @staticmethod
    def _refusal(request, path: str):
        problem = misplaced(request.get_host(), path)
        if problem is not None:
            return error_response(request, 404, "not_found", problem)
        problem = origin_refusal(request, path)
        if problem is not None:
            return error_response(
                request,
                403,
                "csrf_failed",
                f"{problem} Session-authenticated writes are accepted from the "
                "console's own pages only; API clients send "
                "'Authorization: Token <key>' instead.",
            )
        return None

    @staticmethod
    def _out(response):
        for name in getattr(response, "drop_headers", ()):
            if name in response:
                del response[name]
        return response
