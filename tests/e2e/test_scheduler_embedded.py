"""Scheduled jobs on the embedded stack: the serving process runs them.

A real `manage.py serve` process (what `make run` starts) with its
in-process ticker (scheduler_app.embedded), on the suite's database (SQLite,
or PostgreSQL when DATABASE_URL is set: the ticker is then switched on with
SCRIPT_SCHEDULER_IN_PROCESS, as it is by default without REDIS_URL). Jobs are
rows as the scripts' side stores them; a recurring job's 1-2 s interval is
set on the row (the API's one-minute minimum is its validation, not the
runner's).
"""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import launch
from tests.e2e.scheduling import (
    disable,
    job,
    make_job,
    overlaps,
    runs,
    started_late,
    wait_for,
)
from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

SOURCE = """
function run(context) {
  return { schedule: context.meta.schedule, type: context.script.type };
}
function slow(context) {
  // Holds its run for 2.5 s without burning CPU.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2500);
  return { schedule: context.meta.schedule };
}
"""


@pytest.fixture(scope="module")
def served(installation):
    with launch(installation, SCRIPT_SCHEDULER_IN_PROCESS=1) as server:
        reply = put_script(server, "sched-embedded", SOURCE)
        assert reply.status_code in (200, 201), reply.text
        yield installation


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_one_off_job_due_in_two_seconds_fires_once(served):
    due = soon(2)
    job_id = make_job(
        served, "sched-embedded", "once", type="one-off", run_at=due, next_run_at=due
    )
    done = wait_for(lambda: runs(served, job_id), lambda r: len(r) >= 1, within=20)
    # Given time for a second (wrong) run to show up.
    wait_for(lambda: None, lambda _: False, within=2.5)
    done = runs(served, job_id)

    assert [r["status"] for r in done] == ["ok"], done
    assert done[0]["result"]["schedule"]["type"] == "one-off"
    assert started_late(done[0]) >= 0  # never early
    state = job(served, job_id)
    assert (state["run_count"], state["last_status"]) == (1, "ok")
    assert state["next_run_at"] is None and state["running_execution"] is None


def test_a_recurring_job_fires_repeatedly(served):
    start = soon(1)
    job_id = make_job(
        served,
        "sched-embedded",
        "every-2s",
        type="recurring",
        interval_seconds=2,
        start_at=start,
        next_run_at=start,
    )
    done = wait_for(
        lambda: runs(served, job_id),
        lambda r: len([x for x in r if x["status"] == "ok"]) >= 3,
        within=30,
    )
    disable(served, job_id)
    ok = [r for r in done if r["status"] == "ok"]
    assert len(ok) >= 3, done
    slots = [r["result"]["schedule"]["scheduledFor"] for r in ok]
    assert len(set(slots)) == len(slots)  # each slot ran once
    assert all(r["result"]["schedule"]["intervalSeconds"] == 2 for r in ok)
    assert all(started_late(r) >= 0 for r in ok)
    assert overlaps(ok) == []


def test_a_job_longer_than_its_interval_never_runs_twice_at_once(served):
    start = soon(1)
    job_id = make_job(
        served,
        "sched-embedded",
        "overlapping",
        handler="slow",
        type="recurring",
        interval_seconds=1,
        start_at=start,
        next_run_at=start,
    )
    done = wait_for(
        lambda: runs(served, job_id),
        lambda r: (
            len([x for x in r if x["status"] == "ok"]) >= 2
            and any(x["status"] == "skipped" for x in r)
        ),
        within=30,
    )
    disable(served, job_id)
    ok = [r for r in done if r["status"] == "ok"]
    skipped = [r for r in done if r["status"] == "skipped"]
    assert len(ok) >= 2 and skipped, done
    assert overlaps(ok) == []
    assert all("still going" in r["error"] for r in skipped)
    assert job(served, job_id)["skip_count"] >= len(skipped)
