"""An ASGI front that serves anonymous script routes without Django (R3b).

Django's request machinery costs several times the engine call, so requests
that only need a script route (or a route of an app's kind, such as an asset
route) are answered here through the same code the catch-all view uses
(scripts_app.serving). Anything needing sessions, tokens, multipart parsing, a
platform endpoint or an HTTPS redirect, any path with no route, and any path
an app serves itself (a stream: core.plugins.ScriptPlugin.serves_path) goes to
Django unchanged.
"""

import asyncio
from typing import NamedTuple

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import QueryDict

from core.conf import derived
from core.plugins import overriding
from scripts_app.admission import shed
from scripts_app.console import on_console_host
from scripts_app.http import (
    ANONYMOUS,
    HttpCall,
    HttpReply,
    clean_headers,
    form_of,
    too_many_requests,
)
from scripts_app.records import flush_at_shutdown
from scripts_app.routing import Match, reserved
from scripts_app.serving import find_route, finished, serve
from tenants.middleware import request_id_from
from tenants.resolve import console_hosts, directory, keep_fresh


async def lifespan(scope, receive, send):
    """Answer ASGI lifespan events, writing queued records at shutdown.

    uvicorn re-raises SIGTERM once it has shut down, so atexit handlers never
    run in its workers: this is the last moment their rows can be saved.
    While the server runs, the route and tenant caches are kept fresh in the
    background (tenants.resolve.keep_fresh), so no request waits for them,
    and the apps' serving tasks run (the embedded stack's scheduler).
    """
    fresh, own = None, []
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            loop = asyncio.get_running_loop()
            fresh = loop.create_task(keep_fresh())
            # The apps' own work in this process (core.plugins: serving_task).
            own = [
                loop.create_task(a.serving_task()) for a in overriding("serving_task")
            ]
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if fresh is not None:
                fresh.cancel()
            for task in own:
                task.cancel()
            await asyncio.gather(*own, return_exceptions=True)
            await sync_to_async(flush_at_shutdown)()
            await send({"type": "lifespan.shutdown.complete"})
            return


class _Conf(NamedTuple):
    """The settings the fast path reads, read once per change of settings."""

    session_cookie: str  # "<SESSION_COOKIE_NAME>="
    ssl_redirect: bool
    proxy_header: str | None  # SECURE_PROXY_SSL_HEADER as an ASGI header name
    proxy_value: str | None
    force_script_name: str | None
    upload_limit: int | None


@derived
def _conf() -> _Conf:
    proxy = settings.SECURE_PROXY_SSL_HEADER
    header = value = None
    if proxy:
        meta_name, value = proxy
        header = meta_name.removeprefix("HTTP_").replace("_", "-").lower()
    return _Conf(
        session_cookie=settings.SESSION_COOKIE_NAME + "=",
        ssl_redirect=bool(settings.SECURE_SSL_REDIRECT),
        proxy_header=header,
        proxy_value=value,
        force_script_name=settings.FORCE_SCRIPT_NAME,
        upload_limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )


def _host(scope, headers) -> str:
    """The Host header, else the server's address (as HttpRequest.get_host)."""
    host = headers.get("host")
    if host:
        return host
    server = scope.get("server") or ("localhost", 80)
    return f"{server[0]}:{server[1]}" if server[1] not in (80, 443) else server[0]


async def _served_by_an_app(tenant, method: str, path: str) -> bool:
    for app in overriding("serves_path"):
        if await app.serves_path(tenant, method, path):
            return True
    return False


class ScriptRouteApp:
    def __init__(self, django_app):
        self.django = django_app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not await self._serve(scope, receive, send):
            await self.django(scope, receive, send)

    async def _serve(self, scope, receive, send) -> bool:
        """Answer the request and return True, or return False to pass it on."""
        conf = _conf()
        session_cookie = conf.session_cookie
        pairs, first = [], {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name == "authorization" or (
                name == "cookie" and session_cookie in value
            ):
                return False
            if name == "content-type" and value.startswith("multipart/"):
                return False
            if "_" in name:
                continue  # Django drops these too (x_user vs x-user spoofing)
            pairs.append((name, value))
            if name not in first:
                first[name] = value
        secure = self._secure(scope, first, conf)
        if conf.ssl_redirect and not secure:
            return False
        # The script prefix as django.core.handlers.asgi.get_script_prefix finds it.
        prefix = conf.force_script_name or scope.get("root_path", "") or ""
        path = scope["path"].removeprefix(prefix)
        tenants = directory()
        if tenants.stale():
            await tenants.refresh()
        found = tenants.lookup(first.get("host", ""), path)
        if found.tenant is None or reserved(found.path):
            return False
        if console_hosts() and on_console_host(_host(scope, first)):
            return False  # no script routes on the console host: Django says 404
        method = scope["method"].upper()
        route = await find_route(found.tenant, method, found.path)
        if not isinstance(route, Match):
            return False  # Django's catch-all answers misses (and streams)
        # A path an app serves itself (a stream) beats a :param or /* route, as
        # exact routes do; Django's catch-all lets the app answer it.
        if route.params and await _served_by_an_app(found.tenant, method, found.path):
            return False
        body = await self._body(receive, conf.upload_limit)
        if body is None:
            return True  # the client went away
        request_id = request_id_from(first.get("x-request-id"))
        overloaded = None if route.target.kind else shed(found.tenant)
        if overloaded is not None:  # the tenant's cap is full: 429 at once (R9)
            reply = finished(
                too_many_requests(overloaded, request_id),
                method,
                secure,
                first.get("origin"),
            )
        elif body is False:
            reply = HttpReply.error(
                413, "too_large", "The request body is too large.", request_id
            )
        else:
            query_string = scope.get("query_string", b"")
            call = HttpCall(
                tenant=found.tenant,
                method=method,
                path=found.path,
                query=QueryDict(query_string).dict() if query_string else {},
                headers=clean_headers(pairs, drop_authorization=False),
                body=body,
                form=form_of(method, first.get("content-type", ""), body),
                auth=ANONYMOUS,
                user=None,
                request_id=request_id,
                secure=secure,
                base_url=(
                    f"{'https' if secure else 'http'}://{_host(scope, first)}"
                    f"{prefix}{found.prefix.rstrip('/')}"
                ),
            )
            reply = await serve(call, route)
        await self._send(send, reply, request_id)
        return True

    @staticmethod
    def _secure(scope, headers, conf: _Conf) -> bool:
        """Decide HTTPS the way HttpRequest.is_secure() does."""
        if conf.proxy_header:
            value = headers.get(conf.proxy_header)
            if value is not None:
                return value.split(",", 1)[0].strip() == conf.proxy_value
        return scope.get("scheme") == "https"

    @staticmethod
    async def _body(receive, limit: int | None) -> bytes | bool | None:
        """Return the body, False when over the limit, None on disconnect."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                return False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _send(send, reply: HttpReply, request_id: str) -> None:
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in reply.headers
        ]
        headers.append((b"content-length", str(len(reply.body)).encode()))
        headers.append((b"x-request-id", request_id.encode()))
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": reply.body})
