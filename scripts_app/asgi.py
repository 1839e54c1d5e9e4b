"""An ASGI front that serves anonymous script routes without Django (R3b).

Django's request machinery costs several times the engine call, so requests
that only need a script route are answered here through the same runner the
catch-all view uses. Anything needing sessions, tokens, multipart parsing or a
platform endpoint goes to Django unchanged.
"""

from django.conf import settings
from django.http import QueryDict

from scripts_app.routing import reserved
from scripts_app.runner import ANONYMOUS, HttpCall, HttpReply, clean_headers, serve
from tenants.middleware import request_id_from
from tenants.resolve import directory


class ScriptRouteApp:
    def __init__(self, django_app):
        self.django = django_app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not await self._serve(scope, receive, send):
            await self.django(scope, receive, send)

    async def _serve(self, scope, receive, send) -> bool:
        """Answer the request and return True, or return False to pass it on."""
        headers = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in ("authorization",) or (
                name == "cookie" and "sessionid=" in value
            ):
                return False
            if name == "content-type" and value.startswith("multipart/"):
                return False
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        found = await directory().resolve(headers.get("host", ""), scope["path"])
        if found.tenant is None or reserved(found.path) or found.path.startswith("/t/"):
            return False
        body = await self._body(receive)
        request_id = request_id_from(headers.get("x-request-id"))
        if body is None:
            reply = HttpReply.error(
                413, "too_large", "The request body is too large.", request_id
            )
        else:
            method = scope["method"]
            form = {}
            if method in ("POST", "PUT", "PATCH", "DELETE") and headers.get(
                "content-type", ""
            ).startswith("application/x-www-form-urlencoded"):
                form = QueryDict(body, encoding="utf-8").dict()
            call = HttpCall(
                tenant=found.tenant,
                method=method,
                path=found.path,
                query=QueryDict(scope.get("query_string", b"")).dict(),
                headers=clean_headers(headers.items(), drop_authorization=False),
                body=body,
                form=form,
                auth=ANONYMOUS,
                user=None,
                request_id=request_id,
            )
            reply = await serve(call)
        await self._send(send, reply, request_id)
        return True

    @staticmethod
    async def _body(receive) -> bytes | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
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
