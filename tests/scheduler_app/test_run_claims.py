"""Claiming due runs: once however many ticks, skips and lost runs recorded.

Real database rows and real concurrent transactions (threads with their own
connections) on whichever database the suite runs on (SQLite or PostgreSQL).
"""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from scheduler_app import runner
from scheduler_app.models import Job
from scripts_app.models import Execution, LogEntry
from scripts_app.services import save_script

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = """
function tick(context) { return "ticked"; }
"""


@pytest.fixture
def script(cast):
    return save_script(cast["acme"], "jobs", SOURCE).script


def make_job(script, name="j", **fields):
    fields.setdefault("type", "one-off")
    fields.setdefault("handler", "tick")
    return Job.objects.create(tenant=script.tenant, script=script, name=name, **fields)


def now():
    return datetime.now(UTC)


def test_two_concurrent_ticks_claim_each_due_run_once(script):
    due = now() - timedelta(seconds=1)
    jobs = [make_job(script, f"j{i}", run_at=due, next_run_at=due) for i in range(40)]
    start = threading.Barrier(2)
    claimed = [[], []]
    errors = []

    def tick(slot):
        try:
            start.wait()
            claimed[slot] = runner.claim_due()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    runs = claimed[0] + claimed[1]
    assert sorted(r.job_id for r in runs) == sorted(str(j.id) for j in jobs)
    for run in runs:
        job = Job.objects.get(id=run.job_id)
        assert str(job.running_execution) == run.execution_id
        assert job.next_run_at is None  # a one-off: never again
    # Nobody else may claim them now.
    assert runner.claim_due() == []


def test_a_claim_made_after_anothers_commit_finds_nothing(script):
    due = now() - timedelta(seconds=1)
    job = make_job(script, run_at=due, next_run_at=due)
    first = runner.claim_one(job.id, due)
    assert first is not None and first.job_id == str(job.id)
    assert runner.claim_one(job.id, due) is None
    assert runner.claim_due() == []


def test_a_due_run_of_a_job_still_running_is_skipped_and_recorded(script):
    due = now() - timedelta(seconds=1)
    going = uuid.uuid4()
    job = make_job(
        script,
        type="recurring",
        interval_seconds=60,
        start_at=due,
        next_run_at=due,
        running_execution=going,
        running_since=now() - timedelta(seconds=5),
        running_until=now() + timedelta(seconds=30),
    )
    assert runner.claim_due() == []

    job.refresh_from_db()
    assert job.skip_count == 1
    assert job.running_execution == going  # the run going on is untouched
    assert job.next_run_at > now()
    skipped = Execution.objects.get(ref=job.ref)
    assert skipped.status == "skipped"
    assert "still going" in skipped.error
    assert skipped.triggered_by == "cron" and skipped.kind == "scheduled"


def test_a_run_past_its_deadline_is_recorded_lost_never_silently(script):
    lost = uuid.uuid4()
    job = make_job(
        script,
        run_at=now() - timedelta(minutes=2),
        next_run_at=None,
        running_execution=lost,
        running_since=now() - timedelta(minutes=2),
        running_until=now() - timedelta(seconds=1),
    )
    assert runner.settle_overdue() == 1

    job.refresh_from_db()
    assert job.running_execution is None
    assert job.last_status == "lost"
    row = Execution.objects.get(ref=job.ref)
    assert row.status == "lost" and row.id == job.last_execution
    assert str(lost) in row.error and "not retried" in row.error
    entry = LogEntry.objects.get(execution_id=row.id)
    assert entry.level == "ERROR" and "Lost" in entry.message
    assert runner.settle_overdue() == 0  # settled once


def test_a_run_that_finished_but_was_not_noted_is_caught_up_not_lost(script):
    finished = uuid.uuid4()
    job = make_job(
        script,
        next_run_at=None,
        running_execution=finished,
        running_since=now() - timedelta(minutes=1),
        running_until=now() - timedelta(seconds=1),
    )
    Execution.objects.create(
        id=finished,
        tenant=script.tenant,
        script=script,
        script_name=script.name,
        kind="scheduled",
        ref=job.ref,
        status="ok",
        duration_ms=1.0,
        started_at=now() - timedelta(minutes=1),
    )
    runner.settle_overdue()

    job.refresh_from_db()
    assert (job.last_status, job.last_execution, job.run_count) == ("ok", finished, 1)
    assert job.running_execution is None
    assert list(
        Execution.objects.filter(ref=job.ref).values_list("status", flat=True)
    ) == ["ok"]


def test_a_claimed_run_never_started_is_lost_after_its_start_deadline(script, settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "SCHEDULER_START_SECONDS": 0.0}
    due = now() - timedelta(seconds=1)
    job = make_job(script, run_at=due, next_run_at=due)
    [run] = runner.claim_due()
    runner.settle_overdue(now() + timedelta(seconds=1))

    job.refresh_from_db()
    assert job.last_status == "lost"
    assert "never started" in Execution.objects.get(ref=job.ref).error
    # Its task arriving late cannot start it any more.
    assert runner._start([run.execution_id]) == {}


def test_recurring_runs_missed_while_down_are_not_replayed(script):
    long_ago = now() - timedelta(minutes=10)
    job = make_job(
        script,
        type="recurring",
        interval_seconds=60,
        start_at=long_ago,
        next_run_at=long_ago,
    )
    assert runner.claim_due() == []

    job.refresh_from_db()
    assert now() < job.next_run_at <= now() + timedelta(seconds=60)
    row = Execution.objects.get(ref=job.ref)
    assert row.status == "skipped" and "missed" in row.error


def test_a_one_off_run_runs_however_late(script):
    long_ago = now() - timedelta(hours=3)
    job = make_job(script, run_at=long_ago, next_run_at=long_ago)
    [run] = runner.claim_due()
    assert run.job_id == str(job.id)
    assert run.due == runner.iso_utc(long_ago)


def test_disabled_jobs_and_jobs_not_due_are_left_alone(script):
    soon = now() + timedelta(minutes=1)
    make_job(script, "later", run_at=soon, next_run_at=soon)
    past = now() - timedelta(seconds=1)
    make_job(script, "off", run_at=past, next_run_at=past, enabled=False)
    assert runner.claim_due() == []
    assert Execution.objects.count() == 0


def test_a_job_whose_schedule_cannot_be_computed_is_disabled_not_a_blocker(script):
    due = now() - timedelta(seconds=1)
    broken = make_job(script, "broken", type="cron", cron="not a cron", next_run_at=due)
    fine = make_job(script, "fine", run_at=due, next_run_at=due)
    runs = runner.claim_due()

    assert [r.job_id for r in runs] == [str(fine.id)]
    broken.refresh_from_db()
    assert not broken.enabled and broken.next_run_at is None
    row = Execution.objects.get(ref=broken.ref, status="skipped")
    assert "cannot be computed" in row.error


def test_runs_due_within_the_lookahead_are_claimed_early_and_counted_from_their_due(
    script,
):
    soon = now() + timedelta(seconds=1.5)
    later = now() + timedelta(seconds=30)
    one_off = make_job(script, "soon", run_at=soon, next_run_at=soon)
    recurring = make_job(
        script,
        "every-minute",
        type="recurring",
        interval_seconds=60,
        start_at=soon,
        next_run_at=soon,
    )
    far = make_job(script, "later", run_at=later, next_run_at=later)

    assert runner.claim_due() == []  # not due yet, and no lookahead
    runs = [r for batch in runner.claim_batches(ahead=2.0) for r in batch]

    assert sorted(r.job_id for r in runs) == sorted(
        [str(one_off.id), str(recurring.id)]
    )
    for run in runs:
        assert datetime.fromisoformat(run.due) == soon.replace(
            microsecond=soon.microsecond // 1000 * 1000
        )
    one_off.refresh_from_db()
    recurring.refresh_from_db()
    far.refresh_from_db()
    # Counted from the run's due moment, not from the claim: a one-off is not
    # due again, a recurring job is next due an interval after this run.
    assert one_off.next_run_at is None
    assert recurring.next_run_at == soon + timedelta(seconds=60)
    assert one_off.running_until >= soon + timedelta(seconds=59)
    assert far.running_execution is None and far.next_run_at == later
    # Nobody claims them twice.
    assert [r for batch in runner.claim_batches(ahead=2.0) for r in batch] == []


def test_a_job_still_running_is_not_claimed_ahead_but_skipped_when_due(script):
    soon = now() + timedelta(seconds=1)
    going = uuid.uuid4()
    job = make_job(
        script,
        type="recurring",
        interval_seconds=60,
        start_at=soon,
        next_run_at=soon,
        running_execution=going,
        running_since=now() - timedelta(seconds=5),
        running_until=now() + timedelta(seconds=30),
    )
    assert [r for batch in runner.claim_batches(ahead=2.0) for r in batch] == []
    job.refresh_from_db()
    assert job.next_run_at == soon and job.skip_count == 0  # left for its due time

    assert runner.claim_due(soon + timedelta(milliseconds=1)) == []
    job.refresh_from_db()
    assert job.skip_count == 1 and job.running_execution == going
