"""GraphiQL at /graphql loads in headless Chromium, offline, and runs a query.

The admin signs in at /system/admin/ (a session, so GraphiQL's POSTs carry the CSRF
token), opens /graphql with `{ scripts { uri } }` in the URL and runs it.
Every request the page makes must go to the server itself: GraphiQL's React
and CodeMirror bundles are served from /static/, not from a CDN.
"""

from urllib.parse import quote

import pytest

from tests.e2e.servers import ADMIN_PASSWORD, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

# One script, not the list: the shared server holds every e2e test's scripts,
# and GraphiQL's response pane only renders the lines in view.
QUERY = '{ script(uri: "graphiql-probe") { uri } }'


@pytest.fixture(scope="module")
def static_files(installation):
    # What `make run` does before serving: GraphiQL's assets come from /static/.
    installation.manage("collectstatic", "--noinput", "--verbosity", "0")


def test_graphiql_runs_a_query_for_a_signed_in_admin(
    server,
    chromium,  # noqa: F811 - the fixture imported above
    static_files,
):
    assert put_script(server, "graphiql-probe", "var probe = 1;\n").status_code == 201
    page = chromium.new_page()
    requested, failed, problems = [], [], []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")
    page.goto(f"{server.url}/graphql#query={quote(QUERY)}", wait_until="load")
    result = page.locator(".graphiql-response")
    answer = result.get_by_text('"graphiql-probe"')
    page.click(".graphiql-execute-button")
    answer.wait_for(timeout=15_000)

    text = result.inner_text()
    assert '"script"' in text and '"uri"' in text
    assert "errors" not in text
    assert failed == [] and problems == []
    assert requested and all(url.startswith(server.url) for url in requested), [
        url for url in requested if not url.startswith(server.url)
    ]
