"""/system/api/executions: the new fields (triggered_by, ref, result) and filters."""

from datetime import UTC, datetime, timedelta

import pytest

from scripts_app.models import Execution, Script
from tests.conftest import HELLO

JOB = "job:0b7c53a4-5a43-4c1e-9d0f-3a1f2e4c5d6e"


@pytest.fixture
def rows(upload, cast):
    """Executions of hello in acme: http, a job's two cron runs, a manual one; globex."""
    assert upload("hello", HELLO).status_code == 201
    assert upload("hello", HELLO, user="erin", host="globex.test").status_code == 201
    hello = Script.objects.get(tenant=cast["acme"], name="hello")
    theirs = Script.objects.get(tenant=cast["globex"], name="hello")
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def row(n, script=hello, **fields):
        return Execution.objects.create(
            tenant=script.tenant,
            script=script,
            script_name=script.name,
            handler="hello",
            duration_ms=1.5,
            started_at=start + timedelta(minutes=n),
            **{"kind": "http", "status": "ok", "triggered_by": "http", **fields},
        )

    return {
        "http": row(0),
        "first": row(1, kind="cron", triggered_by="cron", ref=JOB, result='{"n": 1}'),
        "second": row(2, kind="cron", triggered_by="cron", ref=JOB, status="error"),
        "manual": row(3, kind="manual", triggered_by="manual", result="[1, 2"),
        "theirs": row(4, script=theirs, kind="cron", triggered_by="cron", ref=JOB),
    }


def _ids(api, query="", user="alice", host="acme.test"):
    response = api(user, host).get(f"/system/api/executions{query}")
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def _id(*executions):
    return [str(e.id) for e in executions]


def test_the_list_shows_trigger_ref_and_result(api, rows):
    response = api("alice").get("/system/api/executions?ref=" + JOB + "&status=ok")
    (first,) = response.json()["results"]
    assert first["triggered_by"] == "cron"
    assert first["ref"] == JOB
    assert (first["result"], first["result_cut"]) == ({"n": 1}, False)


def test_a_cut_result_is_shown_as_its_text(api, rows):
    (manual,) = api("alice").get("/system/api/executions?kind=manual").json()["results"]
    assert (manual["result"], manual["result_cut"]) == ("[1, 2", True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["manual", "second", "first", "http"]),
        ("?kind=cron", ["second", "first"]),
        ("?status=error", ["second"]),
        ("?triggered_by=manual", ["manual"]),
        ("?triggered_by=http", ["http"]),
        (f"?ref={JOB}", ["second", "first"]),
        (f"?job={JOB.removeprefix('job:')}", ["second", "first"]),
        ("?script=hello&kind=cron&status=ok", ["first"]),
        ("?script=other", []),
    ],
)
def test_executions_are_filtered(api, rows, query, expected):
    assert _ids(api, query) == _id(*(rows[name] for name in expected))


def test_another_tenant_sees_only_its_own(api, rows):
    assert _ids(api, f"?ref={JOB}", user="erin", host="globex.test") == _id(
        rows["theirs"]
    )


def test_an_unknown_status_is_a_400_that_lists_the_statuses(api, rows):
    response = api("alice").get("/system/api/executions?status=fine")
    assert response.status_code == 400
    assert (
        "ok, error, timeout, memory_limit, skipped, lost"
        in response.json()["error"]["message"]
    )


def test_one_execution_is_read_by_its_id(api, rows):
    first = rows["first"]
    response = api("charlie").get(f"/system/api/executions/{first.id}")
    assert response.status_code == 200
    assert response.json()["result"] == {"n": 1}


def test_another_tenants_execution_or_a_bad_id_is_a_404(api, rows):
    theirs = rows["theirs"]
    assert api("alice").get(f"/system/api/executions/{theirs.id}").status_code == 404
    response = api("alice").get("/system/api/executions/not-a-uuid")
    assert response.status_code == 404
    assert "not an execution id" in response.json()["error"]["message"]
