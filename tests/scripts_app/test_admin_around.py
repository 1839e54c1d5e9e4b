"""The script page's links to everything about the script, and its run panel."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from core import plugins
from scripts_app.models import Execution, LogEntry, Script
from tests.cast import PASSWORD

SOURCE = """/**
 * @cron 0 9 * * *
 */
async function main() {
  console.info("nightly");
  return {done: true};
}
function hello(c) { return ResponseBuilder.text("hi"); }
function books() { return []; }
function onEvent(m) {}
routeRegistry.registerRoute("/around/hello", "hello", "GET");
routeRegistry.registerStreamRoute("/around/feed");
dispatcher.registerListener("around.event", "onEvent");
graphQLRegistry.registerQuery(
  "aroundBooks", "type Query { aroundBooks: [String!]! }", "books", "external");
"""


@pytest.fixture
def around(upload):
    assert upload("around", SOURCE).status_code == 201
    assert upload("elsewhere", "function main() {}").status_code == 201
    return Script.objects.get(tenant__slug="acme", name="around")


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user, password=PASSWORD)
    return client


def _links(page) -> dict:
    nav = re.search(r'<nav class="around-links".*?</nav>', page, re.S).group(0)
    return {
        label: url.replace("&amp;", "&")
        for url, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)
    }


def _change(script) -> str:
    return f"/system/admin/scripts_app/script/{script.pk}/change/"


def test_the_script_page_links_to_everything_about_the_script(cast, around):
    page = _client("root").get(_change(around)).content.decode()
    links = _links(page)
    assert list(links) == [
        "Versions",
        "Executions",
        "Logs",
        "Routes",
        "Streams",
        "Listeners",
        "GraphQL operations",
        "Triggers",
        "Jobs",
    ]
    by_script = f"?script__id__exact={around.pk}"
    assert links["Logs"] == f"/system/admin/scripts_app/logentry/{by_script}"
    assert links["Executions"] == f"/system/admin/scripts_app/execution/{by_script}"
    assert links["Jobs"] == f"/system/admin/scheduler_app/job/{by_script}"
    assert links["Routes"] == _change(around) + "#routes-group"
    assert 'id="routes-group"' in page


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Jobs", "@cron"),
        ("Streams", "/around/feed"),
        ("Listeners", "around.event"),
        ("GraphQL operations", "aroundBooks"),
    ],
)
def test_each_apps_link_lists_only_the_scripts_objects(cast, around, label, expected):
    client = _client("root")
    url = _links(client.get(_change(around)).content.decode())[label]
    page = client.get(url)
    assert page.status_code == 200
    shown = page.context["cl"].result_list
    assert len(shown) == 1
    assert expected in str(shown[0]) or expected in page.content.decode()
    assert all(row.script_id == around.pk for row in shown)


def test_the_links_come_from_the_plugins_not_the_core(cast, around):
    labels = [label for label, _ in plugins.admin_links(around)]
    assert labels == ["Streams", "Listeners", "GraphQL operations", "Triggers", "Jobs"]


def test_logs_and_executions_are_filtered_by_script(cast, around):
    other = Script.objects.get(tenant__slug="acme", name="elsewhere")
    now = datetime.now(tz=UTC)
    for script in (around, other):
        LogEntry.objects.create(
            tenant=script.tenant,
            script=script,
            script_name=script.name,
            level="INFO",
            message=f"from {script.name}",
            time=now,
        )
        Execution.objects.create(
            tenant=script.tenant,
            script=script,
            script_name=script.name,
            kind="manual",
            status="ok",
            duration_ms=1,
            started_at=now,
        )
    client = _client("root")
    links = _links(client.get(_change(around)).content.decode())
    logs = client.get(links["Logs"])
    assert [e.message for e in logs.context["cl"].result_list] == ["from around"]
    assert "script" in [f.title for f in logs.context["cl"].filter_specs]
    runs = client.get(links["Executions"])
    assert [e.script_id for e in runs.context["cl"].result_list] == [around.pk]


def test_the_run_panel_posts_to_the_run_page_with_the_csrf_token(cast, around):
    page = _client("root").get(_change(around)).content.decode()
    panel = re.search(
        r'<div class="module around-panel" id="run_panel">.*?</div>', page, re.S
    )
    assert panel, "no run panel"
    html = panel.group(0)
    assert f'action="/system/admin/scripts_app/script/{around.pk}/run/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert re.findall(r'<option value="(\w+)"', html) == [
        "main",
        "hello",
        "books",
        "onEvent",
    ]


def test_the_run_panel_runs_a_handler_and_shows_its_output(cast, around, records):
    page = _client("root").post(
        f"/system/admin/scripts_app/script/{around.pk}/run/",
        {"handler": "main", "args": "{}"},
    )
    result = page.context["result"]
    assert (result.status, result.result) == ("ok", {"done": True})
    assert "nightly" in page.content.decode()


def test_bad_json_args_from_the_panel_are_refused_and_nothing_is_stored(
    cast, around, records
):
    page = _client("root").post(
        f"/system/admin/scripts_app/script/{around.pk}/run/",
        {"handler": "main", "args": "{oops"},
    )
    assert page.status_code == 200
    assert page.context["result"] is None
    assert "args is not valid JSON" in page.content.decode()
    records()
    assert not Execution.objects.filter(script=around).exists()
    assert not LogEntry.objects.filter(script=around, message="nightly").exists()


def test_a_viewer_has_no_run_panel_and_cannot_run(cast, around, records):
    charlie = cast["charlie"]
    charlie.is_staff = True
    charlie.save()
    charlie.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="scripts_app",
            codename__in=["view_script", "change_script"],
        )
    )
    client = _client("charlie")
    page = client.get(_change(around)).content.decode()
    assert 'id="run_panel"' not in page
    assert 'id="live_logs"' in page  # viewers may watch
    ran = client.post(
        f"/system/admin/scripts_app/script/{around.pk}/run/",
        {"handler": "main", "args": "{}"},
    )
    assert ran.status_code == 403
    records()
    assert not Execution.objects.filter(script=around).exists()
