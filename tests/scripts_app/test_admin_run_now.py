"""The admin's "Run now": a handler run with JSON args, its value, logs and duration."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from scripts_app.models import Execution, Script
from tests.cast import PASSWORD

SOURCE = """// @name Nightly
async function main(context) {
  console.log("cleaning " + context.args.table);
  return {cleaned: context.args.table, by: context.execution.triggeredBy,
          user: context.user && context.user.name};
}

const total = (context) => context.args.reduce((a, b) => a + b, 0);

function broken(context) {
  throw new Error("no table " + context.args.table);
}
"""


@pytest.fixture
def nightly(upload):
    assert upload("nightly", SOURCE).status_code == 201
    assert upload("other", SOURCE, user="erin", host="globex.test").status_code == 201
    return Script.objects.get(tenant__slug="acme", name="nightly")


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


def _run_url(script) -> str:
    return f"/system/admin/scripts_app/script/{script.pk}/run/"


def test_the_change_page_has_a_run_now_button(cast, nightly):
    page = _client("root").get(f"/system/admin/scripts_app/script/{nightly.pk}/change/")
    assert page.status_code == 200
    assert f'href="{_run_url(nightly)}"' in page.content.decode()


def test_the_run_page_lists_the_scripts_functions(cast, nightly):
    page = _client("root").get(_run_url(nightly))
    assert page.status_code == 200
    html = page.content.decode()
    assert re.findall(r'<option value="(\w+)">', html) == ["main", "total", "broken"]


def test_running_main_shows_its_value_logs_and_duration(cast, nightly, records):
    page = _client("root").post(
        _run_url(nightly), {"handler": "", "args": '{"table": "orders"}'}
    )
    assert page.status_code == 200
    result = page.context["result"]
    assert result.status == "ok"
    assert result.result == {"cleaned": "orders", "by": "manual", "user": "root"}
    html = page.content.decode()
    assert "&quot;cleaned&quot;: &quot;orders&quot;" in html
    assert "cleaning orders" in html
    duration = re.search(r'id="run_duration">([\d.]+)<', html)
    assert duration and float(duration.group(1)) >= 0
    records()
    row = Execution.objects.get(id=result.execution_id)
    assert (row.kind, row.triggered_by, row.handler, row.status) == (
        "manual",
        "manual",
        "main",
        "ok",
    )
    assert f"/system/admin/scripts_app/execution/{row.id}/change/" in html


def test_a_named_handler_gets_array_args(cast, nightly):
    page = _client("root").post(
        _run_url(nightly), {"handler": "total", "args": "[1, 2, 3]"}
    )
    assert page.context["result"].result == 6
    assert 'id="run_value">6</pre>' in page.content.decode()


def test_a_thrown_error_is_shown_with_its_line(cast, nightly, records):
    page = _client("root").post(
        _run_url(nightly), {"handler": "broken", "args": '{"table": "x"}'}
    )
    result = page.context["result"]
    assert result.status == "error"
    line = SOURCE.splitlines().index(
        '  throw new Error("no table " + context.args.table);'
    )
    assert f"nightly.js:{line + 1}:" in result.error["message"]
    assert "no table x" in page.content.decode()


def test_args_that_are_not_json_are_refused_and_nothing_runs(cast, nightly, records):
    page = _client("root").post(
        _run_url(nightly), {"handler": "main", "args": '{"table": '}
    )
    assert page.status_code == 200
    assert page.context["result"] is None
    errors = page.context["form"].errors["args"]
    assert "args is not valid JSON" in errors[0]
    assert "line 1 column 10" in errors[0]
    records()
    assert not Execution.objects.exists()


def test_a_missing_handler_is_refused(cast, nightly, records):
    page = _client("root").post(_run_url(nightly), {"handler": "nope", "args": ""})
    assert "nightly.js has no function 'nope'" in page.context["refused"]
    records()
    assert not Execution.objects.exists()


def test_a_developer_with_admin_rights_runs_only_their_tenants_scripts(cast, nightly):
    _staff(cast["bob"], "view_script", "change_script")
    client = _client("bob")
    ran = client.post(_run_url(nightly), {"handler": "total", "args": "[1]"})
    assert ran.status_code == 200
    assert ran.context["result"].result == 1
    other = Script.objects.get(tenant__slug="globex", name="other")
    # Another tenant's script is not there for them at all (scripts_app.policy).
    assert client.get(_run_url(other)).status_code == 404
    assert client.post(_run_url(other), {"handler": "total"}).status_code == 404


def test_a_viewer_may_not_run_and_sees_no_button(cast, nightly, records):
    _staff(cast["charlie"], "view_script", "change_script")
    client = _client("charlie")
    page = client.get(f"/system/admin/scripts_app/script/{nightly.pk}/change/")
    assert page.status_code == 200
    assert _run_url(nightly) not in page.content.decode()
    assert client.post(_run_url(nightly), {"handler": "main"}).status_code == 403
    records()
    assert not Execution.objects.exists()


def test_the_policy_not_djangos_model_permissions_decides_who_runs(cast, nightly):
    # Roles and object grants decide (scripts_app.policy); a model permission
    # neither gives nor takes the right to run.
    _staff(cast["alice"], "view_script")
    assert _client("alice").get(_run_url(nightly)).status_code == 200
    _staff(cast["charlie"], "view_script", "change_script", "execute_script")
    assert _client("charlie").get(_run_url(nightly)).status_code == 403


def test_users_who_are_not_staff_are_sent_to_the_login(cast, nightly):
    response = _client("alice").get(_run_url(nightly))
    assert response.status_code == 302
    assert "/system/admin/login/" in response["Location"]


def test_a_post_without_the_csrf_token_is_refused(cast, nightly, records):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="root", password=PASSWORD)
    response = client.post(_run_url(nightly), {"handler": "main", "args": "{}"})
    assert response.status_code == 403
    records()
    assert not Execution.objects.exists()


def test_executions_are_filtered_by_ref_and_trigger_in_the_changelist(
    cast, nightly, records
):
    from datetime import UTC, datetime

    def row(**fields):
        return Execution.objects.create(
            tenant=cast["acme"],
            script=nightly,
            script_name="nightly",
            kind=fields.pop("kind", "cron"),
            status="ok",
            duration_ms=1,
            started_at=datetime.now(tz=UTC),
            **fields,
        )

    mine = row(
        ref="job:11111111-1111-1111-1111-111111111111",
        triggered_by="cron",
        result='{"n": 1}',
    )
    row(ref="job:22222222-2222-2222-2222-222222222222", triggered_by="cron")
    manual = row(kind="manual", triggered_by="manual")
    client = _client("root")
    url = "/system/admin/scripts_app/execution/"
    page = client.get(url, {"ref": mine.ref})
    assert page.status_code == 200
    assert [e.id for e in page.context["cl"].result_list] == [mine.id]
    assert "{&quot;n&quot;: 1}" in page.content.decode()
    page = client.get(url, {"triggered_by": "manual"})
    assert [e.id for e in page.context["cl"].result_list] == [manual.id]
    page = client.get(url, {"ref": "job:"})
    assert len(page.context["cl"].result_list) == 2
    page = client.get(url, {"kind": "manual", "status": "ok"})
    assert [e.id for e in page.context["cl"].result_list] == [manual.id]
    page = client.get(url, {"script__id__exact": nightly.pk})
    assert len(page.context["cl"].result_list) == 3
