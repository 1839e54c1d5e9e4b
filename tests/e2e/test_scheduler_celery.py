"""Scheduled jobs on the scaled stack: real Celery workers and beats.

`celery -A config worker` and `celery -A config beat` (django-celery-beat's
DatabaseScheduler, the tick row made by `migrate`) run as subprocesses
against an installation of their own (PostgreSQL) with the Redis broker, on
a queue of this module's own; no eager mode. Runs on the scaled stack only
(DATABASE_URL and REDIS_URL set); under CI=true a missing service fails.
"""

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import require_service
from tests.e2e.scheduling import (
    disable,
    job,
    make_job,
    make_jobs,
    overlaps,
    runs,
    started_late,
    wait_for,
)
from tests.e2e.servers import ROOT, FreshDatabase, postgres_reachable

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="embedded stack: DATABASE_URL and REDIS_URL are not both set",
    ),
]

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
# Every process of the stack: its own queue; a short time limit and margin,
# so a killed worker's run is found lost within seconds.
SETTINGS = {
    "SCRIPT_CRON_TIMEOUT_SECONDS": 5,
    "SCRIPT_SCHEDULER_LOST_MARGIN_SECONDS": 1,
    "LOG_LEVEL": "INFO",
}


class Stack:
    """Celery workers and beats serving one installation, stopped at the end."""

    def __init__(self, database: FreshDatabase):
        self.database = database
        self.env = database.env(
            SCRIPTHOST_CELERY_QUEUE=f"test-{uuid.uuid4().hex[:8]}", **SETTINGS
        )
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.database.var_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name,
            *("worker", "--pool", "solo", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"),
            *("-l", "info", "--without-gossip", "--without-mingle"),
        )

    def beat(self, name: str) -> subprocess.Popen:
        return self.start(name, "beat", "-l", "info", "--max-interval", "1")

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def output(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.database.var_dir.glob("*.log"))
        )


@pytest.fixture(scope="module")
def stack():
    from tests.test_stack import redis_reachable

    require_service("PostgreSQL", postgres_reachable(os.environ["DATABASE_URL"]))
    require_service("Redis", redis_reachable())
    database = FreshDatabase().create()
    script = database.var_dir / "sched-celery.js"
    script.write_text(SOURCE)
    database.manage("upload_script", str(script), "--id", "sched-celery")
    running = Stack(database)
    try:
        yield running
    finally:
        running.stop_all()
        database.drop()


@pytest.fixture(scope="module")
def two_workers_one_beat(stack):
    """Two workers and a beat, shared by the tests that need just that."""
    stack.worker("worker-1")
    stack.worker("worker-2")
    stack.beat("beat-1")
    yield stack
    stack.stop_all()


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def ok_runs(found):
    return [r for r in found if r["status"] == "ok"]


def test_a_one_off_job_due_in_two_seconds_fires_once(two_workers_one_beat):
    stack = two_workers_one_beat
    db = stack.database
    due = soon(2)
    job_id = make_job(
        db, "sched-celery", "once", type="one-off", run_at=due, next_run_at=due
    )
    wait_for(lambda: runs(db, job_id), lambda r: len(r) >= 1, within=45)
    wait_for(lambda: None, lambda _: False, within=3)  # room for a wrong second run
    done = runs(db, job_id)

    assert [r["status"] for r in done] == ["ok"], stack.output()
    assert started_late(done[0]) >= 0
    state = job(db, job_id)
    assert (state["run_count"], state["last_status"]) == (1, "ok")
    assert state["next_run_at"] is None


def test_a_recurring_job_fires_repeatedly(two_workers_one_beat):
    db = two_workers_one_beat.database
    start = soon(1)
    job_id = make_job(
        db,
        "sched-celery",
        "every-2s",
        type="recurring",
        interval_seconds=2,
        start_at=start,
        next_run_at=start,
    )
    done = wait_for(lambda: runs(db, job_id), lambda r: len(ok_runs(r)) >= 3, within=45)
    disable(db, job_id)
    ok = ok_runs(done)
    assert len(ok) >= 3, two_workers_one_beat.output()
    slots = [r["result"]["schedule"]["scheduledFor"] for r in ok]
    assert len(set(slots)) == len(slots)
    assert all(started_late(r) >= 0 for r in ok)
    assert overlaps(ok) == []


def test_a_job_longer_than_its_interval_never_runs_twice_at_once(two_workers_one_beat):
    db = two_workers_one_beat.database
    start = soon(1)
    job_id = make_job(
        db,
        "sched-celery",
        "overlapping",
        handler="slow",
        type="recurring",
        interval_seconds=1,
        start_at=start,
        next_run_at=start,
    )
    done = wait_for(
        lambda: runs(db, job_id),
        lambda r: len(ok_runs(r)) >= 2 and any(x["status"] == "skipped" for x in r),
        within=45,
    )
    disable(db, job_id)
    ok = ok_runs(done)
    skipped = [r for r in done if r["status"] == "skipped"]
    assert len(ok) >= 2 and skipped, two_workers_one_beat.output()
    # On two workers: never two runs at once, whichever worker took each.
    assert overlaps(ok) == []
    assert job(db, job_id)["skip_count"] >= len(skipped)


def test_two_beats_still_run_each_due_run_once(two_workers_one_beat):
    stack = two_workers_one_beat
    stack.beat("beat-2")
    try:
        db = stack.database
        due = soon(3)
        ids = make_jobs(
            db,
            "sched-celery",
            [f"twice-beaten-{i}" for i in range(20)],
            type="one-off",
            run_at=due,
            next_run_at=due,
        )
        start = soon(1)
        every = make_job(
            db,
            "sched-celery",
            "twice-beaten-every-1s",
            type="recurring",
            interval_seconds=1,
            start_at=start,
            next_run_at=start,
        )
        wait_for(
            lambda: [runs(db, i) for i in ids],
            lambda found: all(found),
            within=45,
        )
        wait_for(lambda: None, lambda _: False, within=3)
        once = {i: [r["status"] for r in runs(db, i)] for i in ids}
        assert all(s == ["ok"] for s in once.values()), (once, stack.output())
        disable(db, every)
        recurring = ok_runs(runs(db, every))
        slots = [r["result"]["schedule"]["scheduledFor"] for r in recurring]
        assert len(slots) >= 3 and len(set(slots)) == len(slots)
    finally:
        stack.stop("beat-2")


def test_killing_the_worker_mid_run_leaves_a_lost_record(stack):
    stack.stop_all()  # one worker only: the one killed
    stack.worker("doomed")
    stack.beat("beat-1")
    try:
        db = stack.database
        due = soon(2)
        job_id = make_job(
            db,
            "sched-celery",
            "killed",
            handler="slow",
            type="one-off",
            run_at=due,
            next_run_at=due,
        )
        started = wait_for(
            lambda: job(db, job_id),
            lambda state: state["running_since"] is not None,
            within=45,
        )
        assert started["running_since"] is not None, stack.output()
        stack.stop("doomed", signal.SIGKILL)  # mid-run: the handler sleeps 2.5 s
        stack.worker("next")  # ticks go on; the next one settles the run
        done = wait_for(lambda: runs(db, job_id), lambda r: len(r) >= 1, within=45)

        assert [r["status"] for r in done] == ["lost"], stack.output()
        assert "killed" in done[0]["error"] and "not retried" in done[0]["error"]
        state = job(db, job_id)
        assert state["last_status"] == "lost" and state["running_execution"] is None
    finally:
        stack.stop_all()
