"""A script's versions in the admin: the list, a side-by-side diff, rollback."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from scripts_app.models import Route, Script, ScriptVersion
from scripts_app.versions import side_by_side
from tests.cast import PASSWORD

ONE = """function hello(c) {
  return ResponseBuilder.text("one");
}
routeRegistry.registerRoute("/versioned", "hello", "GET");
"""
TWO = """function hello(c) {
  if (c.request.query.loud) {
    return ResponseBuilder.text("TWO");
  }
  return ResponseBuilder.text("two");
}
routeRegistry.registerRoute("/versioned-two", "hello", "GET");
"""


@pytest.fixture
def versioned(upload):
    assert upload("versioned", ONE).status_code == 201
    assert upload("versioned", TWO).status_code == 200
    assert upload("theirs", ONE, user="erin", host="globex.test").status_code == 201
    return Script.objects.get(tenant__slug="acme", name="versioned")


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user, password=PASSWORD)
    return client


def _staff(user, *codenames):
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="scripts_app", codename__in=codenames
        )
    )


def _url(script, tail=""):
    return f"/system/admin/scripts_app/script/{script.pk}/versions/{tail}"


def test_the_script_page_links_to_its_versions(cast, versioned):
    page = _client("root").get(
        f"/system/admin/scripts_app/script/{versioned.pk}/change/"
    )
    assert f'href="{_url(versioned)}"' in page.content.decode()


def test_the_versions_page_lists_every_version_newest_first(cast, versioned):
    page = _client("root").get(_url(versioned))
    assert page.status_code == 200
    assert [v.number for v in page.context["versions"]] == [2, 1]
    html = page.content.decode()
    assert "Roll back to v1" in html
    assert "Roll back to v2" not in html  # the current one


def test_the_diff_shows_both_sides_with_line_numbers(cast, versioned):
    page = _client("root").get(_url(versioned, "diff/"), {"a": 1, "b": 2})
    assert page.status_code == 200
    rows = page.context["rows"]
    changed = [r for r in rows if r.kind != "equal"]
    assert any(r.left == '  return ResponseBuilder.text("one");' for r in changed)
    assert any(
        r.right_number == 2 and r.right == "  if (c.request.query.loud) {"
        for r in changed
    )
    html = page.content.decode()
    # Indentation is kept: the code cells hold the lines as written.
    assert (
        'class="code right">    return ResponseBuilder.text(&quot;TWO&quot;);' in html
    )


def test_a_diff_of_a_version_that_does_not_exist_is_not_found(cast, versioned):
    client = _client("root")
    assert client.get(_url(versioned, "diff/"), {"a": 1, "b": 9}).status_code == 404
    assert client.get(_url(versioned, "diff/"), {"a": "x", "b": 2}).status_code == 404


def test_side_by_side_pairs_changed_lines_and_skips_long_unchanged_runs():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten")
    rows = side_by_side(old, new, context=2)
    assert [r.kind for r in rows] == [
        "skip",
        "equal",
        "equal",
        "replace",
        "equal",
        "equal",
        "skip",
    ]
    assert rows[0].skipped == 7 and rows[-1].skipped == 8
    assert (rows[3].left_number, rows[3].left) == (10, "line 10")
    assert (rows[3].right_number, rows[3].right) == (10, "line ten")
    assert side_by_side("same\n", "same\n") == []


def test_side_by_side_shows_added_and_removed_lines_on_one_side():
    rows = side_by_side("a\nb\n", "a\nb\nc\nd\n")
    assert [(r.kind, r.left_number, r.right_number) for r in rows] == [
        ("equal", 1, 1),
        ("equal", 2, 2),
        ("insert", None, 3),
        ("insert", None, 4),
    ]


def test_rollback_stores_the_old_source_as_a_new_version(cast, versioned, api):
    response = _client("root").post(_url(versioned, "1/rollback/"))
    assert response.status_code == 302
    versioned.refresh_from_db()
    assert versioned.version == 3
    assert versioned.source == ONE
    assert ScriptVersion.objects.get(script=versioned, number=3).source == ONE
    # The registrations are the old version's again, as after an upload.
    assert list(
        Route.objects.filter(script=versioned).values_list("path", flat=True)
    ) == ["/versioned"]
    visitor = api(host="acme.test")
    assert visitor.get("/versioned").content == b"one"
    assert visitor.get("/versioned-two").status_code == 404


def test_rollback_answers_get_with_405_and_changes_nothing(cast, versioned):
    assert _client("root").get(_url(versioned, "1/rollback/")).status_code == 405
    versioned.refresh_from_db()
    assert versioned.version == 2


def test_rollback_to_a_missing_version_is_not_found(cast, versioned):
    assert _client("root").post(_url(versioned, "7/rollback/")).status_code == 404
    versioned.refresh_from_db()
    assert versioned.version == 2


def test_rollback_to_the_current_version_is_refused_with_a_message(cast, versioned):
    response = _client("root").post(_url(versioned, "2/rollback/"), follow=True)
    assert "Version 2 is the current version of versioned" in response.content.decode()
    versioned.refresh_from_db()
    assert versioned.version == 2


def test_a_viewer_sees_versions_but_may_not_roll_back(cast, versioned):
    _staff(cast["charlie"], "view_script", "change_script", "view_scriptversion")
    client = _client("charlie")
    page = client.get(_url(versioned))
    assert page.status_code == 200
    assert "Roll back" not in page.content.decode()
    assert client.post(_url(versioned, "1/rollback/")).status_code == 403
    versioned.refresh_from_db()
    assert (versioned.version, versioned.source) == (2, TWO)


def test_a_developer_rolls_back_in_their_tenant(cast, versioned):
    _staff(cast["bob"], "view_script", "change_script")
    assert _client("bob").post(_url(versioned, "1/rollback/")).status_code == 302
    versioned.refresh_from_db()
    assert versioned.version == 3
    assert versioned.author == cast["bob"]


def test_another_tenants_versions_are_not_found(cast, versioned):
    _staff(cast["bob"], "view_script", "change_script")
    theirs = Script.objects.get(tenant__slug="globex", name="theirs")
    client = _client("bob")
    assert client.get(_url(theirs)).status_code == 404
    assert client.get(_url(theirs, "diff/"), {"a": 1, "b": 1}).status_code == 404
    assert client.post(_url(theirs, "1/rollback/")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.version == 1


def test_a_rollback_without_the_csrf_token_is_refused(cast, versioned):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="root", password=PASSWORD)
    assert client.post(_url(versioned, "1/rollback/")).status_code == 403
    versioned.refresh_from_db()
    assert versioned.version == 2


def test_a_version_page_keeps_the_sources_indentation(cast, versioned):
    version = ScriptVersion.objects.get(script=versioned, number=2)
    page = _client("root").get(
        f"/system/admin/scripts_app/scriptversion/{version.pk}/change/"
    )
    html = page.content.decode()
    assert '<pre class="script-source">function hello(c) {\n  if (c.request' in html
    assert "<br>" not in html.split('<pre class="script-source">')[1].split("</pre>")[0]
