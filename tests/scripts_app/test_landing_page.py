"""GET / is the platform's landing page until a script of the tenant owns `/`."""

from django.urls import reverse

HOST = "acme.test"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

ROOT_POST_ONLY = """\
function accept(context) { return { status: 202, body: "taken" }; }
routeRegistry.registerRoute("/", "accept", "POST");
"""


def test_a_browser_gets_links_to_the_platforms_pages(api, cast):
    response = api(host=HOST).get("/", HTTP_ACCEPT=HTML)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for name in ("admin:index", "api-docs", "api-root", "graphql", "health"):
        assert f'href="{reverse(name)}"' in html, name


def test_other_clients_get_the_same_links_as_json(api, cast):
    response = api(host=HOST).get("/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json() == {
        "name": "scripthost",
        "links": {
            "admin": "/system/admin/",
            "api": "/system/api/",
            "apiDocs": "/system/api/docs",
            "apiSchema": "/system/api/schema",
            "graphql": "/graphql",
            "health": "/health",
        },
    }


def test_a_write_to_root_without_a_route_is_the_usual_404(api, cast):
    response = api(host=HOST).post("/", b"x", content_type="text/plain")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_script_route_for_another_method_at_root_takes_root_over(upload, api, cast):
    assert upload("root", ROOT_POST_ONLY).status_code == 201

    assert api(host=HOST).post("/", b"", content_type="text/plain").content == (
        b"taken"
    )
    response = api(host=HOST).get("/", HTTP_ACCEPT=HTML)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_seeds_api_paths_are_the_scripts(upload, api, cast):
    # aiwebengine's /api/users and IOTA's /api/custom/sales-report.
    source = (
        "function h(context) { return { status: 200, body: context.request.path }; }\n"
        'routeRegistry.registerRoute("/api/users", "h", "GET");\n'
        'routeRegistry.registerRoute("/api/custom/sales-report", "h", "GET");\n'
    )
    assert upload("seed-paths", source).status_code == 201, "refused"

    for path in ("/api/users", "/api/custom/sales-report"):
        assert api(host=HOST).get(path).content == path.encode()
