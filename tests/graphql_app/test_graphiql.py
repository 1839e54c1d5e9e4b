"""GET /graphql in a browser is GraphiQL, every asset of it served from /static/."""

import base64
import hashlib
import re

from django.contrib.staticfiles import finders

from tests.graphql_app.conftest import SCRIPTS

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _page(api, user=None):
    response = api(user).get("/graphql", HTTP_ACCEPT=HTML)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response


def test_a_browser_gets_graphiql(api, cast):
    response = _page(api)

    html = response.content.decode()
    assert "<title>GraphiQL" in html
    assert 'id="editor"' in html
    assert "graphene_django/graphiql.js" in html
    # GraphiQL sends the cookie's token with its POSTs.
    assert "csrftoken" in response.cookies


def test_graphiql_loads_nothing_from_another_site(api, cast):
    html = _page(api).content.decode()

    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(urls) >= 8
    assert all(url.startswith("/static/") for url in urls), urls


def test_every_graphiql_asset_is_installed_and_matches_its_integrity(api, cast):
    html = _page(api).content.decode()

    tags = re.findall(r'(?:src|href)="/static/([^"]+)"\s+integrity="([^"]*)"', html)
    assert len(tags) == 8, tags  # all but graphene-django's own graphiql.js
    for path, integrity in tags:
        found = finders.find(path)
        assert found, f"{path} is not installed"
        with open(found, "rb") as asset:
            digest = base64.b64encode(hashlib.sha256(asset.read()).digest()).decode()
        assert integrity == f"sha256-{digest}", path
    assert finders.find("graphene_django/graphiql.js")


def test_json_clients_still_get_json_from_get(api, cast):
    response = api("alice").get(
        "/graphql", {"query": SCRIPTS}, HTTP_ACCEPT="application/json"
    )

    assert response.json() == {"data": {"scripts": []}}


def test_raw_in_a_browser_runs_the_query_instead(api, cast):
    response = api("alice").get(
        "/graphql", {"query": SCRIPTS, "raw": ""}, HTTP_ACCEPT=HTML
    )

    assert response.json() == {"data": {"scripts": []}}
