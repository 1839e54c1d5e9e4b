"""The admin lives at /system/admin/; /admin/... belongs to scripts.

The aiwebengine seed's own example registers `POST /admin/broadcast`, so the
platform keeps off /admin as it keeps off /api. Without a script, /admin and
/admin/ are unserved script paths (404), not redirects: a tenant's script may
own them at any time, and the landing page links the admin where it is.
"""

import pytest
from django.test import Client
from django.urls import reverse

HOST = "acme.test"

# The seed's route (sendSubscriptionMessageFiltered's example) and its
# neighbours under /admin.
ADMIN_ROUTES = """\
function broadcastAdminMessage(context) {
  return { status: 200, body: "sent " + context.request.form.message };
}
function home(context) { return "script admin home"; }
function who(context) {
  return { status: 200, body: {
    id: context.request.params.id,
    isAdmin: context.request.auth.isAdmin,
    cookie: context.request.headers.cookie || "",
  } };
}
routeRegistry.registerRoute("/admin/broadcast", "broadcastAdminMessage", "POST");
routeRegistry.registerRoute("/admin", "home", "GET");
routeRegistry.registerRoute("/admin/", "home", "GET");
routeRegistry.registerRoute("/admin/users/:id", "who", "GET");
"""


@pytest.fixture
def admin_routes(upload):
    response = upload("admin-routes", ADMIN_ROUTES)
    assert response.status_code == 201, response.content


def test_the_admin_index_is_under_system():
    assert reverse("admin:index") == "/system/admin/"


def test_a_script_serves_get_and_post_under_admin(admin_routes, api):
    client = api(host=HOST)

    sent = client.post("/admin/broadcast", {"message": "maintenance"})
    home, home_slash = client.get("/admin"), client.get("/admin/")
    user = client.get("/admin/users/7")

    assert (sent.status_code, sent.content) == (200, b"sent maintenance")
    assert home.content == home_slash.content == b"script admin home"
    assert user.json() == {"id": "7", "isAdmin": False, "cookie": ""}


def test_a_signed_in_superuser_gets_the_scripts_reply_not_the_admin(admin_routes, cast):
    client = Client(HTTP_HOST=HOST)
    client.force_login(cast["root"])
    client.get("/system/admin/login/")  # the csrftoken cookie, as in a browser

    reply = client.get("/admin/users/8")

    assert reply.status_code == 200
    # The script learns who asks, never the platform's cookies themselves.
    assert reply.json() == {"id": "8", "isAdmin": True, "cookie": ""}


@pytest.mark.parametrize("path", ["/admin", "/admin/", "/admin/login/"])
def test_without_a_script_old_admin_urls_are_unserved_script_paths(api, cast, path):
    response = api(host=HOST).get(path)

    assert response.status_code == 404  # no redirect: a script may own it
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == f"No route for {path}"


def test_the_landing_page_links_the_admin_where_it_is(api, cast):
    links = api(host=HOST).get("/", HTTP_ACCEPT="application/json").json()["links"]

    assert links["admin"] == "/system/admin/"


def test_the_admin_signs_in_and_answers_under_system(cast):
    from tests.cast import PASSWORD

    client = Client(HTTP_HOST=HOST)
    anonymous = client.get("/system/admin/")
    form = client.get("/system/admin/login/")
    signed_in = client.post(
        "/system/admin/login/?next=/system/admin/",
        {"username": "root", "password": PASSWORD},
    )
    index = client.get("/system/admin/")

    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/system/admin/login/?next=/system/admin/"
    assert form.status_code == 200 and b'name="password"' in form.content
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/system/admin/")
    assert index.status_code == 200 and b"Site administration" in index.content


def test_under_a_tenant_prefix_too(admin_routes, cast):
    client = Client(HTTP_HOST="scripts.test")
    client.force_login(cast["root"])

    script = client.get("/t/acme/admin/users/9")
    admin_index = client.get("/t/acme/system/admin/")

    assert script.json()["id"] == "9"
    assert admin_index.status_code == 200
    assert b"Site administration" in admin_index.content
