"""/graphql/sse: GraphQL over Server-Sent Events ("distinct connections" mode).

https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md: one request
per operation, GET with `query`, `variables` (JSON) and `operationName` in the
query string, or POST with the JSON body {query, variables, operationName}.
The answer is text/event-stream: one `event: next` per result, its `data` the
result as JSON ({"data": ...} and/or {"errors": [...]}), then `event:
complete`. A subscription stays open until the subscription ends (see
graphql_app.subscriptions) or the client leaves; a query or mutation answers
one `next`. A document that does not parse or validate, or is over the cost
limits (graphql_app.limits), answers 400 with {"errors": [...]} (JSON), as
does a malformed request or JSON nested too deeply (core.json_input).

Authentication is /graphql's (graphql_app.access): a bad token answers 401,
a session POST without a CSRF token 403; what a caller may run is what
/graphql lets it run.
"""

from __future__ import annotations

import json
import logging

from asgiref.sync import sync_to_async
from django.core.exceptions import RequestDataTooBig
from django.http import StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from core import sse
from core.conf import scripts_setting
from core.json_input import loads
from graphql_app.access import authenticate, refusal
from graphql_app.subscriptions import KEEPALIVE, start
from graphql_app.views import _json
from graphql_app.ws import caller_for

log = logging.getLogger(__name__)

COMPLETE = sse.event("", name="complete")


def encode_next(result: dict) -> bytes:
    return sse.event(json.dumps(result), name="next")


def _bad_request(request, message: str):
    extensions = {"code": "bad_request", "requestId": getattr(request, "id", None)}
    return _json({"errors": [{"message": message, "extensions": extensions}]}, 400)


def _params(request):
    """(query, variables, operationName) of the request, or an error message."""
    if request.method == "GET":
        source = request.GET
        variables = source.get("variables") or None
        if variables is not None:
            try:
                variables = loads(variables)
            except ValueError as exc:
                return None, f"variables must be JSON: {exc}"
        return (source.get("query"), variables, source.get("operationName")), None
    try:
        body = loads(request.body or b"null")
    except ValueError as exc:
        return (
            None,
            f"The body must be JSON, {{query, variables, operationName}}: {exc}",
        )
    if not isinstance(body, dict):
        return (
            None,
            "The body must be a JSON object: {query, variables, operationName}.",
        )
    return (body.get("query"), body.get("variables"), body.get("operationName")), None


def _authenticated(request):
    """The request's user, as /graphql finds it (runs in a thread)."""
    request.body  # noqa: B018 - kept for the reads after the CSRF check
    return authenticate(request)


@csrf_exempt  # sessions are checked for CSRF by DRF, as on /graphql
async def graphql_sse(request):
    if request.method not in ("GET", "POST"):
        response = _json(
            {
                "errors": [
                    {
                        "message": "Use GET or POST.",
                        "extensions": {"code": "method_not_allowed"},
                    }
                ]
            },
            405,
        )
        response["Allow"] = "GET, POST"
        return response
    try:
        user = await sync_to_async(_authenticated)(request)
    except RequestDataTooBig:
        return _json(
            {
                "errors": [
                    {
                        "message": "The request body is larger than the server "
                        "accepts (Django's DATA_UPLOAD_MAX_MEMORY_SIZE).",
                        "extensions": {"code": "too_large"},
                    }
                ]
            },
            413,
        )
    except exceptions.APIException as exc:
        status, body, headers = refusal(request, exc)
        return _json(body, status, headers)
    params, problem = _params(request)
    if problem:
        return _bad_request(request, problem)
    caller = await sync_to_async(caller_for)(request.tenant, user, request.scope, "sse")
    caller.request["method"] = request.method
    caller.request["path"] = request.path_info
    started = await start(caller, *params, mutations=request.method == "POST")
    if started.kind == "invalid":
        extensions = {"requestId": getattr(request, "id", None)}
        errors = [
            {**e, "extensions": {**e.get("extensions", {}), **extensions}}
            for e in started.errors
        ]
        return _json({"errors": errors}, 400)
    if started.kind == "errors":
        return _stream(_once({"errors": started.errors}))
    if started.kind == "result":
        return _stream(_once(started.result))
    subscription = started.subscription
    response = _stream(
        _events(subscription, scripts_setting("STREAM_KEEPALIVE_SECONDS"))
    )
    # If the response is never iterated (the client left first), still leave.
    response._resource_closers.append(subscription.close)
    return response


def _stream(events) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        events, content_type=sse.CONTENT_TYPE, headers=sse.headers()
    )


async def _once(result: dict):
    yield encode_next(result) + COMPLETE


async def _events(subscription, keepalive: float):
    try:
        yield sse.comment("connected")
        if subscription.first is not None:
            yield encode_next(subscription.first)
        while True:
            result = await subscription.next_result(keepalive)
            if result is None:
                break
            yield sse.KEEPALIVE if result is KEEPALIVE else encode_next(result)
        yield COMPLETE
    finally:
        subscription.close()
