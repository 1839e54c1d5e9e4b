"""A bare ASGI app calling the hello handler through mini-racer once per request.

The engine's ceiling on this machine: no Django, no pool, no bookkeeping, one
JSON string in and one out, the MiniRacer built inside the serving loop (R3).
Serve with: uvicorn bench.bare_asgi:app --workers N
"""

import json
from pathlib import Path
from urllib.parse import parse_qsl

from py_mini_racer import MiniRacer

HANDLER = (Path(__file__).parent / "scripts" / "hello.js").read_text()
STUB = """
var ResponseBuilder = {
  text: function (body) { return {status: 200, body: body, contentType: "text/plain"}; }
};
var routeRegistry = {registerRoute: function () {}};
"""

_racer = None


def racer() -> MiniRacer:
    """Build the context on first use, inside the loop that will call it."""
    global _racer
    if _racer is None:
        _racer = MiniRacer()
        _racer.eval(STUB + HANDLER)
    return _racer


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["type"] != "http":
        return
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    context = {
        "request": {
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "headers": {
                k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
            },
        }
    }
    raw = await racer().eval_cancelable(f"JSON.stringify(hello({json.dumps(context)}))")
    reply = json.loads(raw)
    body = reply["body"].encode()
    await send(
        {
            "type": "http.response.start",
            "status": reply["status"],
            "headers": [
                (b"content-type", reply["contentType"].encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
