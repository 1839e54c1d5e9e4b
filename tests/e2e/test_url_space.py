"""The URL space over real HTTP: scripts own /api/..., /admin/... and /.

The REST API is under /system/api/ and the admin under /system/admin/: the
seeds' own examples register script routes under /api/ (aiwebengine's
`/api/users`, IOTA's `/api/custom/sales-report`) and /admin/ (aiwebengine's
`POST /admin/broadcast`), so the platform keeps off them.
"""

import re

import pytest

from tests.e2e.servers import ADMIN_PASSWORD, put_script

pytestmark = pytest.mark.server

# aiwebengine seed, "routeRegistry.registerRoute(path, handlerName, method)",
# its example copied verbatim.
SEED_USERS = """\
function getUsers(context) {
  const req = context.request;
  return {
    status: 200,
    body: "User list",
    contentType: "text/plain; charset=UTF-8",
  };
}

routeRegistry.registerRoute("/api/users", "getUsers", "GET");
"""

# IOTA seed, "HTTP Endpoint: Custom Report": its endpoint's path.
SALES_REPORT = """\
function salesReport(context) {
  return { status: 200, body: { report: context.request.query.start } };
}
routeRegistry.registerRoute("/api/custom/sales-report", "salesReport", "GET");
"""

ROOT_PAGE = """\
function home(context) {
  return { status: 200, body: "<h1>My site</h1>", contentType: "text/html" };
}
routeRegistry.registerRoute("/", "home", "GET");
"""

# Routes under /admin/, where the admin was before it moved to /system/admin/.
ADMIN_ROUTES = """\
function adminHome(context) { return "script admin home"; }
function broadcast(context) {
  return { status: 200, body: "sent " + context.request.form.message };
}
function user(context) {
  return { status: 200, body: {
    id: context.request.params.id,
    signedIn: context.request.auth.isAuthenticated,
  } };
}
routeRegistry.registerRoute("/admin/", "adminHome", "GET");
routeRegistry.registerRoute("/admin/broadcast", "broadcast", "POST");
routeRegistry.registerRoute("/admin/users/:id", "user", "GET");
"""

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def static_files(installation):
    # What `make run` does before serving: Swagger UI's files come from /static/.
    installation.manage("collectstatic", "--noinput", "--verbosity", "0")


@pytest.fixture
def client(server):
    with server.client() as client:
        yield client


def test_the_seeds_users_route_under_api_uploads_and_answers(server, client):
    uploaded = put_script(server, "seed-users", SEED_USERS)
    assert uploaded.status_code in (200, 201), uploaded.text

    reply = client.get("/api/users")

    assert reply.status_code == 200
    assert reply.text == "User list"
    assert reply.headers["content-type"] == "text/plain; charset=UTF-8"


def test_the_iota_sales_report_path_can_be_registered(server, client):
    uploaded = put_script(server, "sales-report", SALES_REPORT)
    assert uploaded.status_code in (200, 201), uploaded.text

    reply = client.get("/api/custom/sales-report", params={"start": "2024-01-01"})

    assert reply.status_code == 200
    assert reply.json() == {"report": "2024-01-01"}


def test_the_old_api_path_no_longer_serves_the_platform_api(server, client):
    reply = client.get("/api/scripts", headers=server.auth)

    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
    moved = client.get("/system/api/scripts", headers=server.auth)
    assert moved.status_code == 200
    assert "results" in moved.json() or isinstance(moved.json(), list)


def test_admin_paths_are_the_scripts_and_the_admin_is_under_system(server, client):
    unowned = client.get("/admin/")
    uploaded = put_script(server, "admin-routes", ADMIN_ROUTES)
    assert uploaded.status_code in (200, 201), uploaded.text
    try:
        home = client.get("/admin/")
        sent = client.post("/admin/broadcast", data={"message": "maintenance"})
        user = client.get("/admin/users/7")
        # With the admin's session the request takes Django's view, not the
        # ASGI fast path: the script still answers, and knows who asks.
        with server.client() as signed_in:
            signed_in.get("/system/admin/login/")  # sets the csrftoken cookie
            signed_in.post(
                "/system/admin/login/",
                data={
                    "username": "admin",
                    "password": ADMIN_PASSWORD,
                    "csrfmiddlewaretoken": signed_in.cookies["csrftoken"],
                },
            )
            as_admin = signed_in.get("/admin/users/8")
            admin_index = signed_in.get("/system/admin/")
    finally:
        with server.client() as admin:
            admin.delete("/system/scripts/admin-routes", headers=server.auth)
    login = client.get("/system/admin/", follow_redirects=False)

    # Without a script /admin/ is an unserved script path, not a redirect.
    assert unowned.status_code == 404
    assert unowned.json()["error"]["code"] == "not_found"
    assert (home.status_code, home.text) == (200, "script admin home")
    assert (sent.status_code, sent.text) == (200, "sent maintenance")
    assert user.json() == {"id": "7", "signedIn": False}
    assert as_admin.json() == {"id": "8", "signedIn": True}
    assert admin_index.status_code == 200
    assert "Site administration" in admin_index.text
    assert login.status_code == 302
    assert login.headers["location"] == "/system/admin/login/?next=/system/admin/"


def test_root_is_a_landing_page_until_a_script_owns_it(server, client):
    page = client.get("/", headers={"Accept": HTML})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    hrefs = re.findall(r'href="([^"]+)"', page.text)
    for link in ("/system/admin/", "/system/api/docs", "/graphql", "/health"):
        assert link in hrefs
    as_json = client.get("/", headers={"Accept": "application/json"})
    assert as_json.json()["links"]["apiDocs"] == "/system/api/docs"

    uploaded = put_script(server, "home", ROOT_PAGE)
    assert uploaded.status_code in (200, 201), uploaded.text
    try:
        owned = client.get("/", headers={"Accept": HTML})
        assert owned.status_code == 200
        assert owned.text == "<h1>My site</h1>"
    finally:
        with server.client() as admin:
            admin.delete("/system/scripts/home", headers=server.auth)
    again = client.get("/", headers={"Accept": HTML})
    assert "/system/api/docs" in again.text


def test_the_api_root_lists_the_endpoints(server, client):
    reply = client.get(
        "/system/api/", headers={**server.auth, "Accept": "application/json"}
    )

    assert reply.status_code == 200
    assert reply.json()["scripts"].endswith("/system/api/scripts")


def test_the_api_root_is_browsable_with_its_files_from_static(
    server, client, static_files
):
    reply = client.get("/system/api/", headers={**server.auth, "Accept": HTML})

    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "/system/api/scripts" in reply.text
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', reply.text)
    assert assets and all(url.startswith("/static/") for url in assets), assets


def test_the_schema_and_the_docs_page_answer_and_load_nothing_from_elsewhere(
    server, client, static_files
):
    schema = client.get("/system/api/schema", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert "/system/api/scripts/" in schema.json()["paths"]

    docs = client.get("/system/api/docs", headers={"Accept": HTML})
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert urls and all(url.startswith("/static/") for url in urls), urls
    assert "http://" not in docs.text and "https://" not in docs.text
    for url in urls:
        assert client.get(url).status_code == 200, url
