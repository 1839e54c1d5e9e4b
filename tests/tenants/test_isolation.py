"""One tenant's scripts, routes and logs are invisible from another (R13)."""

import pytest

from tests.scripts_app.test_routing_http import Caller

pytestmark = pytest.mark.django_db(transaction=True)


def hello(greeting):
    return f"""
function hello(context) {{
  console.log("{greeting} from " + context.tenant.id);
  return "{greeting}";
}}
routeRegistry.registerRoute("/hello", "hello", "GET");
"""


@pytest.fixture(params=["fast path", "django view"])
def send(request, cast):
    return Caller(request.param)


async def test_acme_route_is_404_on_globex(send, upload):
    from asgiref.sync import sync_to_async

    assert (await sync_to_async(upload)("hello", hello("Hi"))).status_code == 201
    assert (await send("GET", "/hello", host="acme.test")).content == b"Hi"
    r = await send("GET", "/hello", host="globex.test")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_same_script_and_route_in_two_tenants_serve_their_own_content(
    send, upload
):
    from asgiref.sync import sync_to_async

    put = sync_to_async(upload)
    assert (await put("hello", hello("Acme says hi"))).status_code == 201
    assert (
        await put("hello", hello("Globex says hi"), user="erin", host="globex.test")
    ).status_code == 201
    assert (await send("GET", "/hello", host="globex.test")).content == (
        b"Globex says hi"
    )
    assert (await send("GET", "/hello", host="acme.test")).content == b"Acme says hi"
    assert (await send("GET", "/t/globex/hello", host="x.test")).content == (
        b"Globex says hi"
    )


def test_logs_of_one_tenant_are_not_listed_in_another(db, upload, api, records):
    assert upload("hello", hello("A")).status_code == 201
    assert (
        upload("hello", hello("G"), user="erin", host="globex.test").status_code == 201
    )
    api(host="acme.test").get("/hello")
    api(host="globex.test").get("/hello")
    records()
    acme = api("alice").get("/system/api/logs?script=hello").json()["results"]
    globex = api("erin", host="globex.test").get("/system/api/logs?script=hello").json()
    assert [e["message"] for e in acme] == ["A from acme"]
    assert [e["message"] for e in globex["results"]] == ["G from globex"]


def test_a_member_of_one_tenant_cannot_read_anothers_logs(db, upload, api, records):
    assert (
        upload("hello", hello("G"), user="erin", host="globex.test").status_code == 201
    )
    api(host="globex.test").get("/hello")
    records()
    r = api("alice", host="globex.test").get("/system/api/logs?script=hello")
    assert r.status_code == 403
    assert "G from globex" not in r.content.decode()
