"""What the ASGI fast path serves itself, what it hands to Django, and its cost."""

import httpx
import pytest
from django.db.backends.utils import CursorWrapper

from tests.scripts_app.test_routing_http import ECHO

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def echo(upload):
    response = upload("echo", ECHO)
    assert response.status_code == 201, response.content


@pytest.fixture
def django_calls(monkeypatch):
    """Record every request the fast path hands on to Django."""
    from config.asgi import script_routes

    calls, inner = [], script_routes.django

    async def counting(scope, receive, send):
        calls.append(scope["path"])
        await inner(scope, receive, send)

    monkeypatch.setattr(script_routes, "django", counting)
    return calls


def client(host="acme.test", scheme="http", **transport):
    from config.asgi import application

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application, **transport),
        base_url=f"{scheme}://{host}",
    )


async def test_anonymous_script_route_is_served_without_django(echo, django_calls):
    async with client() as c:
        r = await c.get("/echo?x=1")
    assert r.status_code == 200
    assert r.json()["query"] == {"x": "1"}
    assert django_calls == []


async def test_warm_fast_path_request_runs_no_database_query(
    echo, django_calls, settings, monkeypatch
):
    # A long refresh interval: the change counters are not due for a poll.
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 60}
    queries = []
    real_execute = CursorWrapper.execute

    def counting(self, sql, params=None):
        queries.append(sql)
        return real_execute(self, sql, params)

    async with client() as c:
        assert (await c.get("/echo")).status_code == 200  # loads caches and V8
        # A :param route also consults the stream directory (streams win there).
        assert (await c.get("/items/0/parts/0")).status_code == 200
        monkeypatch.setattr(CursorWrapper, "execute", counting)
        for _ in range(3):
            assert (await c.get("/items/1/parts/2")).status_code == 200
    assert django_calls == []
    assert queries == []


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/echo", {"Authorization": "Bearer x"}),
        ("/echo", {"Cookie": "sessionid=abc"}),
        ("/system/api/logs", {}),
        ("/system/scripts", {}),
        ("/t/nobody/echo", {}),
        ("/nowhere", {}),
    ],
)
async def test_requests_that_need_django_are_handed_to_it(
    echo, django_calls, path, headers
):
    async with client(host="other.test") as c:
        await c.get(path, headers=headers)
    assert django_calls == [path]


async def test_multipart_post_and_put_go_through_django_with_their_fields(
    echo, django_calls
):
    async with client() as c:
        posted = await c.post("/echo", data={"a": "1"}, files={"f": b"x"})
        put = await c.put("/echo", data={"b": "2"}, files={"f": b"x"})
    assert django_calls == ["/echo", "/echo"]
    assert posted.json()["form"] == {"a": "1"}
    assert put.json()["form"] == {"b": "2"}


@pytest.mark.parametrize("route_for_django", [False, True])
async def test_body_over_the_upload_limit_is_413_in_the_error_shape(
    echo, settings, route_for_django
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    # A token sends the same request down the Django path.
    headers = {"Authorization": "Bearer x"} if route_for_django else {}
    async with client() as c:
        r = await c.post("/echo", content=b"x" * 11, headers=headers)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


async def test_root_path_is_stripped_like_django_does(echo, django_calls):
    async with client(root_path="/mount") as c:
        r = await c.get("/mount/echo")
    assert django_calls == []
    assert r.json()["path"] == "/echo"


async def test_plain_http_is_handed_to_django_when_https_is_required(echo, settings):
    from django.core.asgi import get_asgi_application

    from scripts_app.asgi import ScriptRouteApp

    settings.SECURE_SSL_REDIRECT = True
    # Django's middleware reads the setting once, when its handler is built.
    app = ScriptRouteApp(get_asgi_application())
    calls, django = [], app.django

    async def counting(scope, receive, send):
        calls.append(scope["path"])
        await django(scope, receive, send)

    app.django = counting
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://acme.test"
    ) as c:
        r = await c.get("/echo")
    assert calls == ["/echo"]
    assert r.status_code == 301
    assert r.headers["location"] == "https://acme.test/echo"


async def test_https_request_gets_hsts_on_the_fast_path(echo, django_calls, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    async with client(scheme="https") as c:
        r = await c.get("/echo")
    async with client(scheme="http") as c:
        plain = await c.get("/echo")
    assert django_calls == []
    assert r.headers["strict-transport-security"] == "max-age=3600"
    assert "strict-transport-security" not in plain.headers
