"""Serve one HTTP call with a script route: the same path for Django and ASGI.

Adapters (the catch-all view, the ASGI fast path) turn their request into an
`HttpCall` (scripts_app.http) and send back the `HttpReply`; everything in
between lives here.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist

from core.plugins import route_kinds
from scripts_app.http import HttpCall, HttpReply, add_platform_headers, reply_for
from scripts_app.invocations import run
from scripts_app.routing import Match, NoMatch, routes

log = logging.getLogger(__name__)


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
            if found.target.kind:
                server = route_kinds()[found.target.kind]
                reply = await server.serve_script_route(call, found.target)
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
    return finished(reply, call.method, call.secure, call.headers.get("origin"))


def finished(
    reply: HttpReply, method: str, secure: bool, origin: str | None = None
) -> HttpReply:
    """What every reply gets last: no body for HEAD, the platform's headers."""
    if method == "HEAD":
        reply.body = b""
    add_platform_headers(reply, secure, origin)
    return reply


def not_found(call: HttpCall) -> HttpReply:
    return HttpReply.error(
        404, "not_found", f"No route for {call.path}", call.request_id
    )


async def run_route(call: HttpCall, found: Match) -> HttpReply:
    """Run the route's handler for the call (scripts_app.invocations.run)."""
    target = found.target
    context = {
        "request": {
            "method": call.method,
            "path": call.path,
            "query": call.query,
            "form": call.form,
            "headers": call.headers,
            "body": call.body.decode("utf-8", "replace"),
            "params": found.params,
            "auth": call.auth,
        },
        "meta": {
            "requestId": call.request_id,
            "route": target.pattern,
            "baseUrl": call.base_url,
        },
        "user": call.user,
    }
    user_id = call.auth.get("userId")
    return await run(
        "http",
        call.tenant,
        target,
        context,
        trigger=f"{call.method} {call.path}",
        user_id=int(user_id) if user_id else None,
        answer=lambda outcome: reply_for(outcome, target, call.request_id),
    )
