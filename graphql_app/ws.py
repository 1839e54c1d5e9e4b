"""/graphql/ws: GraphQL over WebSocket, the graphql-transport-ws protocol.

https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md: the client
opens the socket with the `graphql-transport-ws` subprotocol and sends
`connection_init`; the server answers `connection_ack`. Then `subscribe`
{id, payload: {query, variables, operationName}} starts an operation: a
subscription gets a `next` per message until either side sends `complete`; a
query or mutation gets one `next` and a `complete`. A request that fails
before it runs (it does not validate or is over the cost limits of
graphql_app.limits, the resolver throws, the caller may not use the field)
gets one `error` with the GraphQL errors. `ping` is answered with `pong`.
Protocol mistakes close the socket with the protocol's codes (4400 bad
message, JSON nested too deeply included; 4401 subscribe before the ack, 4403
bad credentials, 4406 no subprotocol, 4408 no connection_init in time, 4409 a
duplicate id, 4429 a second connection_init).

The tenant is the request's, found as for HTTP (Host, else /t/<slug>/). The
caller is the admin session's user (Channels' AuthMiddlewareStack; ignored
when the Origin header names another host, so other sites cannot use a
visitor's session), or the token in connection_init's payload,
{"Authorization": "Token <key>"}. What a caller may run is what /graphql
lets it run (graphql_app.resolvers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import parse_qsl, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from core.json_input import loads
from graphql_app.execution import Caller
from graphql_app.subscriptions import KEEPALIVE, start
from scripts_app.console import on_console_host
from tenants.resolve import directory as tenants

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
PATH = "/graphql/ws"
INIT_TIMEOUT_SECONDS = 10.0


def caller_for(tenant, user, scope, via: str) -> Caller:
    """The Caller of a WebSocket (or SSE) request, as resolvers see it."""
    from scripts_app.http import auth_for, clean_headers
    from tenants.models import role_of

    role = role_of(user, tenant) if user is not None else None
    auth, user_info = auth_for(user, role)
    pairs = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in scope.get("headers", ())
    ]
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    return Caller(
        tenant=tenant,
        user=user,
        auth=auth,
        user_info=user_info,
        request={
            "method": "GET",
            "path": PATH,
            "query": query,
            "form": {},
            "headers": clean_headers(pairs, drop_authorization=True),
            "body": "",
            "params": {},
            "auth": auth,
        },
        via=via,
    )


def token_user(key: str):
    """The active user of a REST API token; raises AuthenticationFailed."""
    from rest_framework.authentication import TokenAuthentication

    user, _ = TokenAuthentication().authenticate_credentials(key)
    return user


def _token_in(payload) -> str | None:
    """The key of 'Authorization: Token <key>' in a connection_init payload.

    Returns "" for credentials given in another form (refused), None for none.
    """
    if not isinstance(payload, dict):
        return None
    headers = payload.get("headers")
    sources = [payload, headers if isinstance(headers, dict) else {}]
    for source in sources:
        for name, value in source.items():
            if str(name).lower() == "authorization":
                parts = str(value).split()
                if len(parts) == 2 and parts[0].lower() == "token":
                    return parts[1]
                return ""
    return None


def _same_origin(scope) -> bool:
    """False when the Origin header names a host other than the Host header."""
    headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
    }
    origin = headers.get("origin")
    if not origin:
        return True  # not a browser
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


class GraphQLTransportWS(AsyncWebsocketConsumer):
    """One socket: its caller, and a task per running operation."""

    # No channel of its own: the subscription hub fans messages out.
    channel_layer_alias = "graphql-ws-has-no-channel"

    async def connect(self):
        self.tenant = self.scope["tenant"]
        self.caller: Caller | None = None
        self.init_received = False
        self.operations: dict[str, asyncio.Task] = {}
        if PROTOCOL not in self.scope.get("subprotocols", ()):
            await self.accept()
            await self.close(4406)  # Subprotocol not acceptable
            return
        await self.accept(subprotocol=PROTOCOL)
        self.init_timer = asyncio.get_running_loop().create_task(self._init_timeout())

    async def _init_timeout(self):
        await asyncio.sleep(INIT_TIMEOUT_SECONDS)
        if self.caller is None:
            await self.close(4408)  # Connection initialisation timeout

    async def disconnect(self, code):
        timer = getattr(self, "init_timer", None)
        if timer is not None:
            timer.cancel()
        for task in list(getattr(self, "operations", {}).values()):
            task.cancel()

    async def _send(self, message: dict) -> None:
        with contextlib.suppress(Exception):  # the socket closed meanwhile
            await self.send(text_data=json.dumps(message))

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = loads(text_data if text_data is not None else bytes_data)
        except (TypeError, ValueError):  # ValueError: not JSON, or nested too deep
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.close(4400)  # Invalid message received
            return
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.operations.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            await self.close(4400)

    async def _init(self, payload) -> None:
        if self.init_received:
            await self.close(4429)  # Too many initialisation requests
            return
        self.init_received = True
        user = None
        key = _token_in(payload)
        if key is not None:
            from rest_framework.exceptions import AuthenticationFailed

            try:
                user = await database_sync_to_async(token_user)(key) if key else None
            except AuthenticationFailed:
                user = None
            if user is None:
                await self.close(4403)  # Forbidden
                return
        else:
            session_user = self.scope.get("user")
            if (
                session_user is not None
                and session_user.is_authenticated
                and _same_origin(self.scope)
            ):
                user = session_user
        self.caller = await database_sync_to_async(caller_for)(
            self.tenant, user, self.scope, "ws"
        )
        await self._send({"type": "connection_ack"})

    async def _subscribe(self, message: dict) -> None:
        if self.caller is None:
            await self.close(4401)  # Unauthorized
            return
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            await self.close(4400)
            return
        if op_id in self.operations:
            await self.close(4409)  # Subscriber for <id> already exists
            return
        task = asyncio.get_running_loop().create_task(self._run(op_id, payload))
        self.operations[op_id] = task

    async def _run(self, op_id: str, payload: dict) -> None:
        subscription = None
        try:
            started = await start(
                self.caller,
                payload.get("query"),
                payload.get("variables"),
                payload.get("operationName"),
            )
            if started.kind in ("invalid", "errors"):
                await self._send(
                    {"id": op_id, "type": "error", "payload": started.errors}
                )
                return
            if started.kind == "result":
                await self._send(
                    {"id": op_id, "type": "next", "payload": started.result}
                )
                await self._send({"id": op_id, "type": "complete"})
                return
            subscription = started.subscription
            if subscription.first is not None:
                await self._send(
                    {"id": op_id, "type": "next", "payload": subscription.first}
                )
            while True:
                result = await subscription.next_result()
                if result is None:
                    break
                if result is not KEEPALIVE:
                    await self._send({"id": op_id, "type": "next", "payload": result})
            await self._send({"id": op_id, "type": "complete"})
        except asyncio.CancelledError:
            raise  # the client completed it, or left
        except Exception:
            log.exception("GraphQL operation %s over WebSocket failed", op_id)
            await self._send(
                {
                    "id": op_id,
                    "type": "error",
                    "payload": [
                        {
                            "message": "The server failed while running the operation.",
                            "extensions": {"code": "internal_error"},
                        }
                    ],
                }
            )
        finally:
            if subscription is not None:
                subscription.close()
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]


class TenantWebSocketRouter:
    """Find the socket's tenant as HTTP does; only /graphql/ws is served."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
        }
        host = headers.get("host", "")
        found = await tenants().resolve(host, scope["path"])
        if (
            found.tenant is None
            or found.path.rstrip("/") != PATH
            or not on_console_host(host)  # the console's, as /graphql
        ):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 4404})  # refused: 403
            return
        await self.inner({**scope, "tenant": found.tenant}, receive, send)


def websocket_application():
    """The "websocket" application of config.asgi."""
    return AuthMiddlewareStack(TenantWebSocketRouter(GraphQLTransportWS.as_asgi()))
