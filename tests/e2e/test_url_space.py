"""The URL space over real HTTP: scripts own /api/... and /, the REST API is under /system/api/.

The seeds' own examples register script routes under /api/ (aiwebengine's
`/api/users`, IOTA's `/api/custom/sales-report`), so the platform keeps off it.
"""

import re

import pytest

from tests.e2e.servers import put_script

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


def test_root_is_a_landing_page_until_a_script_owns_it(server, client):
    page = client.get("/", headers={"Accept": HTML})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    hrefs = re.findall(r'href="([^"]+)"', page.text)
    for link in ("/admin/", "/system/api/docs", "/graphql", "/health"):
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
