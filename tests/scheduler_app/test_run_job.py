"""run_job: a claimed run goes through the invocation runner and is recorded.

Real scripts (uploaded through scripts_app.services), the real engine and
database; no Celery here (tests/e2e/test_scheduler_*.py run real workers).
"""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from scheduler_app import runner
from scheduler_app.models import Job
from scripts_app.models import Execution, LogEntry
from scripts_app.services import save_script
from storage_app.models import StoredItem

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function report(context) {
  console.log("running " + context.meta.schedule.name);
  sharedStorage.setItem("ran", context.meta.schedule.scheduledFor);
  return {
    schedule: context.meta.schedule,
    scriptType: context.script.type,
    execution: context.execution,
    kind: context.kind,
  };
}
function boom(context) { throw new Error("report failed"); }
"""


@pytest.fixture
def script(cast):
    return save_script(cast["acme"], "reports", SOURCE).script


def make_job(script, name, **fields):
    fields.setdefault("handler", "report")
    return Job.objects.create(tenant=script.tenant, script=script, name=name, **fields)


def claim_and_run(job):
    [run] = runner.claim_due()
    assert run.job_id == str(job.id)
    outcome = asyncio.run(runner.run_job(run.job_id, run.due, run.execution_id))
    return run, outcome


def test_a_one_off_run_gets_the_seeds_context_and_is_recorded(script):
    due = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    job = make_job(
        script, "digest-onboarding", type="one-off", run_at=due, next_run_at=due
    )

    run, outcome = claim_and_run(job)

    assert outcome.error is None
    assert outcome.value["schedule"] == {
        "jobId": str(job.id),
        "name": "digest-onboarding",
        "type": "one-off",
        "scheduledFor": "2026-01-01T09:00:00Z",
        "intervalSeconds": None,
    }
    assert outcome.value["execution"] == {"id": run.execution_id, "triggeredBy": "cron"}
    assert outcome.value["kind"] == "scheduled"
    assert outcome.value["scriptType"] == "scheduled"
    row = Execution.objects.get(id=run.execution_id)
    assert (row.status, row.kind, row.triggered_by, row.ref) == (
        "ok",
        "scheduled",
        "cron",
        job.ref,
    )
    assert json.loads(row.result)["schedule"]["jobId"] == str(job.id)
    assert (
        LogEntry.objects.get(execution_id=row.id).message == "running digest-onboarding"
    )
    # Its effects were applied, as any invocation's.
    assert StoredItem.objects.get(key="ran").value == "2026-01-01T09:00:00Z"
    job.refresh_from_db()
    assert job.run_count == 1 and job.last_status == "ok"
    assert job.last_execution == row.id and job.last_run_at is not None
    assert job.running_execution is None and job.next_run_at is None


def test_a_recurring_run_says_its_interval_and_moves_on(script):
    due = datetime.now(UTC) - timedelta(seconds=1)
    job = make_job(
        script,
        "heartbeat",
        type="recurring",
        interval_seconds=1800,
        start_at=due,
        next_run_at=due,
    )
    _, outcome = claim_and_run(job)
    assert outcome.value["schedule"]["intervalSeconds"] == 1800
    assert outcome.value["schedule"]["type"] == "recurring"
    job.refresh_from_db()
    assert job.next_run_at == due + timedelta(seconds=1800)


def test_a_cron_run_is_of_script_type_cron(script):
    due = datetime.now(UTC) - timedelta(seconds=1)
    job = make_job(script, "nightly", type="cron", cron="0 9 * * *", next_run_at=due)
    _, outcome = claim_and_run(job)
    assert outcome.value["scriptType"] == "cron"
    assert outcome.value["execution"]["triggeredBy"] == "cron"
    assert outcome.value["schedule"]["type"] == "cron"
    job.refresh_from_db()
    assert job.next_run_at.hour == 9 and job.next_run_at > due


def test_a_handler_that_throws_leaves_a_fatal_entry_and_a_failed_record(script):
    due = datetime.now(UTC) - timedelta(seconds=1)
    job = make_job(
        script, "fails", handler="boom", type="one-off", run_at=due, next_run_at=due
    )
    run, outcome = claim_and_run(job)

    assert outcome.error is not None
    row = Execution.objects.get(id=run.execution_id)
    assert row.status == "error" and "report failed" in row.error
    fatal = LogEntry.objects.get(execution_id=row.id, level="FATAL")
    assert "Scheduled job 'fails'" in fatal.message
    assert "report failed" in fatal.message
    job.refresh_from_db()
    assert job.last_status == "error" and job.run_count == 1


def test_a_run_is_started_once_even_if_its_task_comes_twice(script):
    due = datetime.now(UTC) - timedelta(seconds=1)
    job = make_job(script, "once", type="one-off", run_at=due, next_run_at=due)
    run, first = claim_and_run(job)
    again = asyncio.run(runner.run_job(run.job_id, run.due, run.execution_id))
    assert first is not None and again is None
    assert Execution.objects.filter(ref=job.ref).count() == 1


def test_run_job_without_a_claim_claims_the_due_run_itself(script):
    due = datetime.now(UTC) - timedelta(seconds=1)
    job = make_job(script, "direct", type="one-off", run_at=due, next_run_at=due)
    outcome = asyncio.run(runner.run_job(str(job.id), runner.iso_utc(due)))
    assert outcome.value["schedule"]["name"] == "direct"
    # A second call finds the run claimed (and done): it runs nothing.
    assert asyncio.run(runner.run_job(str(job.id), runner.iso_utc(due))) is None
    assert Execution.objects.filter(ref=job.ref, status="ok").count() == 1


def test_a_run_claimed_ahead_of_its_time_starts_when_due(script):
    due = datetime.now(UTC) + timedelta(seconds=1.2)
    job = make_job(script, "soon", type="one-off", run_at=due, next_run_at=due)
    [run] = [r for batch in runner.claim_batches(ahead=2.0) for r in batch]
    assert datetime.now(UTC) < due  # claimed before it was due

    outcome = asyncio.run(runner.run_job(run.job_id, run.due, run.execution_id))

    assert outcome.error is None
    record = Execution.objects.get(id=run.execution_id)
    assert record.status == "ok"
    assert record.started_at >= datetime.fromisoformat(run.due)
    job.refresh_from_db()
    assert job.last_status == "ok" and job.run_count == 1
    assert job.last_run_at >= datetime.fromisoformat(run.due)


def test_contexts_for_runs_claimed_ahead_are_built_before_they_are_due(script):
    from scripts_app.engines import engine

    due = datetime.now(UTC) + timedelta(seconds=1.5)
    make_job(script, "soon", type="one-off", run_at=due, next_run_at=due)
    [run] = [r for batch in runner.claim_batches(ahead=2.0) for r in batch]

    async def scenario():
        running = engine()
        key = (script.id, script.version)
        assert key not in running
        # As a worker gets it: the due of the run's message (to the ms).
        warmed = await runner.prewarm(datetime.fromisoformat(run.due))
        assert datetime.now(UTC) < due  # built before the run was due
        assert warmed == 1 and key in running
        builds = running.stats["misses"]
        outcome = await runner.run_job(run.job_id, run.due, run.execution_id)
        assert running.stats["misses"] == builds  # the run found it warm
        running.clear()
        return outcome

    outcome = asyncio.run(scenario())
    assert outcome.error is None
    assert Execution.objects.get(id=run.execution_id).status == "ok"


def test_a_run_claimed_on_purpose_far_ahead_of_its_time_runs_now(script):
    due = datetime.now(UTC) + timedelta(days=365)
    job = make_job(script, "next-year", type="one-off", run_at=due, next_run_at=due)

    # It does not wait for its due time (without a bound, a wait would hang).
    outcome = asyncio.run(asyncio.wait_for(runner.run_job(job.id, due), 30))

    assert outcome.error is None
    assert Execution.objects.get(ref=job.ref).status == "ok"
