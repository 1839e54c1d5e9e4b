"""The fast path and the Django view answer a request identically (R3b)."""

import httpx
import pytest

from tests.scripts_app.test_routing_http import ECHO

SOURCE = (
    ECHO
    + """
function boom() { throw new Error("kaput"); }
function bin() {
  return { status: 203, bodyBase64: "AQID", headers: { "X-Kind": "bin" } };
}
routeRegistry.registerRoute("/boom", "boom", "GET");
routeRegistry.registerRoute("/bin", "bin", "GET");
"""
)

pytestmark = pytest.mark.django_db(transaction=True)

FORM = {"content-type": "application/x-www-form-urlencoded"}
# Well formed: Django replaces a malformed CSRF cookie (Set-Cookie, Vary), which
# the fast path, never reading it, does not.
CSRF = "a" * 32
CASES = [
    ("GET", "/echo?name=a&tag=1&tag=2", {"X-Custom": "yes"}, b""),
    ("GET", "/items/5/parts/x", {}, b""),
    ("GET", "/files/a/b", {}, b""),
    ("POST", "/echo", FORM, b"a=1&b=two+words"),
    ("PUT", "/echo", FORM, b"a=1"),
    ("POST", "/echo", {"content-type": "application/json"}, b'{"x": [1]}'),
    ("HEAD", "/echo", {}, b""),
    ("GET", "/echo", {"Cookie": f"theme=dark; csrftoken={CSRF}"}, b""),
    ("GET", "/boom", {}, b""),
    ("GET", "/bin", {}, b""),
]
MISSES = [("GET", "/nowhere"), ("DELETE", "/echo"), ("GET", "/echo/")]


@pytest.fixture
def scripts(upload):
    response = upload("echo", SOURCE)
    assert response.status_code == 201, response.content


@pytest.fixture
def django_calls(monkeypatch):
    """Record every request the fast path hands on to Django."""
    from config.asgi import script_routes

    calls, inner = [], script_routes.django

    async def counting(scope, receive, send):
        calls.append(f"{scope['method']} {scope['path']}")
        await inner(scope, receive, send)

    monkeypatch.setattr(script_routes, "django", counting)
    return calls


async def fetch(app, method, path, headers=(), body=b"", host="acme.test"):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{host}"
    ) as client:
        headers = httpx.Headers(headers)
        headers["X-Request-Id"] = "same-request-id"
        return await client.request(method, path, headers=headers, content=body)


def comparable(r):
    skip = {"server", "date"}
    headers = sorted((k, v) for k, v in r.headers.multi_items() if k not in skip)
    return r.status_code, r.content, headers


@pytest.mark.parametrize(("method", "path", "headers", "body"), CASES)
async def test_fast_path_and_django_view_give_the_same_response(
    scripts, django_calls, method, path, headers, body
):
    from config.asgi import application, django_app

    fast = await fetch(application, method, path, headers, body)
    assert django_calls == [], "the fast path should have served this itself"
    slow = await fetch(django_app, method, path, headers, body)
    assert comparable(fast) == comparable(slow)


@pytest.mark.parametrize(("method", "path"), MISSES)
async def test_requests_without_a_route_are_answered_by_django_alike(
    scripts, django_calls, method, path
):
    from config.asgi import application, django_app

    fast = await fetch(application, method, path)
    assert django_calls == [f"{method} {path}"]
    slow = await fetch(django_app, method, path)
    assert comparable(fast) == comparable(slow)
    assert fast.status_code in (404, 405)


async def test_repeated_headers_reach_the_script_joined_the_same_way(
    scripts, django_calls
):
    from config.asgi import application, django_app

    headers = [("X-Multi", "a"), ("X-Multi", "b")]
    fast = await fetch(application, "GET", "/echo", headers)
    slow = await fetch(django_app, "GET", "/echo", headers)
    assert fast.json()["headers"]["x-multi"] == "a,b"
    assert slow.json()["headers"]["x-multi"] == "a,b"


async def test_token_request_goes_through_django_and_its_credentials_are_hidden(
    scripts, django_calls, cast
):
    from config.asgi import application

    headers = {
        "Authorization": f"Token {cast['tokens']['alice']}",
        "Cookie": f"csrftoken={CSRF}; theme=dark",
    }
    r = await fetch(application, "GET", "/echo", headers)
    assert django_calls == ["GET /echo"]
    seen = r.json()["headers"]
    assert "authorization" not in seen
    assert seen["cookie"] == "theme=dark"


async def test_anonymous_request_with_csrf_cookie_stays_on_the_fast_path_without_it(
    scripts, django_calls
):
    from config.asgi import application

    r = await fetch(application, "GET", "/echo", {"Cookie": f"csrftoken={CSRF}; a=1"})
    assert django_calls == []
    assert r.json()["headers"]["cookie"] == "a=1"


@pytest.fixture
def session_cookie(cast, settings):
    from django.test import Client

    client = Client()
    client.force_login(cast["bob"])
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def test_session_request_goes_through_django_and_its_cookie_is_hidden(
    scripts, django_calls, session_cookie
):
    from config.asgi import application

    cookie = f"sessionid={session_cookie}; csrftoken={CSRF}; theme=dark"
    r = await fetch(application, "GET", "/echo", {"Cookie": cookie})
    assert django_calls == ["GET /echo"]
    assert r.status_code == 200
    assert r.json()["headers"]["cookie"] == "theme=dark"


async def test_a_non_token_authorization_header_is_the_scripts_own(
    scripts, django_calls
):
    from config.asgi import application

    r = await fetch(application, "GET", "/echo", {"Authorization": "Bearer xyz"})
    assert django_calls == ["GET /echo"]
    assert r.json()["headers"]["authorization"] == "Bearer xyz"
