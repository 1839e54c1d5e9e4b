"""Script routes over HTTP, through the ASGI fast path and the Django view alike."""

import json

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client

ECHO = """
function echo(context) {
  const r = context.request;
  return {
    status: 200,
    body: {
      method: r.method, path: r.path, params: r.params, query: r.query,
      form: r.form, headers: r.headers, body: r.body,
    },
  };
}
routeRegistry.registerRoute("/echo", "echo", "GET");
routeRegistry.registerRoute("/echo", "echo", "POST");
routeRegistry.registerRoute("/echo", "echo", "PUT");
routeRegistry.registerRoute("/items/:id/parts/:part", "echo", "GET");
routeRegistry.registerRoute("/files/*", "echo", "GET");
"""

pytestmark = pytest.mark.django_db(transaction=True)


class Caller:
    """Send one request through the fast path (httpx) or Django's test client."""

    def __init__(self, kind):
        self.kind = kind

    async def __call__(self, method, path, *, host="acme.test", headers=None, body=b""):
        headers = dict(headers or {})
        if self.kind == "fast path":
            from config.asgi import application

            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(
                transport=transport, base_url=f"http://{host}"
            ) as client:
                return await client.request(method, path, headers=headers, content=body)
        content_type = headers.pop("content-type", "application/octet-stream")
        client = Client(headers={"host": host})
        return await sync_to_async(client.generic)(
            method, path, data=body, content_type=content_type, headers=headers
        )


@pytest.fixture(params=["fast path", "django view"])
def send(request, upload):
    """Upload the echo script to acme; return a Caller for one of the two paths."""
    response = upload("echo", ECHO)
    assert response.status_code == 201, response.content
    return Caller(request.param)


async def test_path_params_reach_context_request_params(send):
    r = await send("GET", "/items/42/parts/bolt")
    assert r.status_code == 200
    assert r.json()["params"] == {"id": "42", "part": "bolt"}


async def test_wildcard_rest_reaches_params_star(send):
    r = await send("GET", "/files/docs/a%20b.txt")
    assert r.json()["params"] == {"*": "docs/a b.txt"}
    assert r.json()["path"] == "/files/docs/a b.txt"


async def test_query_string_reaches_handler_with_last_value_for_repeats(send):
    r = await send("GET", "/echo?name=Ann&tag=a&tag=b&empty=")
    assert r.json()["query"] == {"name": "Ann", "tag": "b", "empty": ""}


async def test_urlencoded_post_form_reaches_handler(send):
    r = await send(
        "POST",
        "/echo",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"name=Ann+Lee&city=Oslo",
    )
    assert r.status_code == 200
    data = r.json()
    assert data["method"] == "POST"
    assert data["form"] == {"name": "Ann Lee", "city": "Oslo"}
    assert data["body"] == "name=Ann+Lee&city=Oslo"


async def test_urlencoded_put_form_reaches_handler_too(send):
    r = await send(
        "PUT",
        "/echo",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"size=XL",
    )
    assert r.json()["form"] == {"size": "XL"}


async def test_json_body_and_headers_reach_handler_as_text_and_lower_case(send):
    payload = json.dumps({"a": [1, 2]}).encode()
    r = await send(
        "POST",
        "/echo",
        headers={"content-type": "application/json", "X-Trace-Token": "abc123"},
        body=payload,
    )
    data = r.json()
    assert data["body"] == payload.decode()
    assert data["form"] == {}
    assert data["headers"]["x-trace-token"] == "abc123"
    assert data["headers"]["content-type"] == "application/json"
    assert data["headers"]["host"] == "acme.test"


async def test_unknown_path_is_404_in_the_error_shape(send):
    r = await send("GET", "/nowhere", headers={"X-Request-Id": "req-12345678"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "error": {
            "code": "not_found",
            "message": "No route for /nowhere",
            "requestId": "req-12345678",
        }
    }
    assert r.headers["x-request-id"] == "req-12345678"


async def test_known_path_with_other_method_is_405_with_allow_header(send):
    r = await send("DELETE", "/echo")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST, PUT"
    error = r.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert "DELETE" in error["message"]
    assert error["requestId"] == r.headers["x-request-id"]


async def test_head_is_answered_by_the_get_handler_with_headers_and_no_body(send):
    r = await send("HEAD", "/items/1/parts/2")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == b""


async def test_trailing_slash_is_not_the_same_route(send):
    r = await send("GET", "/echo/")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
