"""Run scheduled jobs: claim each due run once, run it, record what happened.

Every run of a job goes through here on both stacks (RUNTIME.md, "Two
stacks"): a tick (`claim_batches`) finds the enabled jobs that are due and
claims their runs; `run_job` starts each claimed run and runs its handler
through the one invocation runner (scripts_app.invocations.run, kind
"scheduled": R8's cron row, 30 s and 128 MB). Where they run is all that
differs: Celery tasks on the scaled stack (scheduler_app.tasks), a task in
each serving process on the embedded one (scheduler_app.embedded).

Exactly once. A tick claims runs in one transaction that locks the due rows
(SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so several ticks share the
work; SQLite's IMMEDIATE transactions let one writer in at a time) and moves
each job's `next_run_at` on: however many beats, workers or serving
processes tick, one of them claims a due run. The claim gives the run its
execution id (`running_execution`) and a deadline to start by
(`running_until`). `run_job` starts it with a conditional update (this
execution, not started yet), so a task delivered twice cannot run it twice;
starting moves the deadline to the run's time limit plus a margin.

Ahead of time. Beat's tick (scheduler_app.tasks) also claims the runs due
within SCHEDULER_LOOKAHEAD_SECONDS; a worker starts such a run at its due
moment and, meanwhile, builds the contexts the runs due then will need
(prewarm). So a burst is claimed, handed out and warmed up before it is due.

Lost runs. A run still marked running after its deadline (its worker was
killed, or its task message never arrived) is settled by the next tick: if
its execution record exists it finished and only the job's bookkeeping is
caught up; otherwise an Execution with status "lost" (and an ERROR log
entry) says so. A lost run is not retried: its handler may have done part
of its work, and a second run could do it twice. Never a silent gap.

Never overlapping. A due run of a job whose previous run is still going is
not started: an Execution "skipped" records it, and the job's skip_count.

Catch-up after downtime (the seed: "missed jobs resume on the next
interval"). A recurring or cron run found more than
SCHEDULER_MISSED_GRACE_SECONDS late is not replayed: one "skipped" record
says so, and the job resumes at its next slot after now (schedule.next_run).
Missed slots in between are not replayed either. A one-off run runs however
late: it is the job's only one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import NamedTuple

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections, router, transaction

from core import ids
from core.conf import scripts_setting
from scheduler_app import schedule
from scheduler_app.models import Job, JobType
from scripts_app import live_logs
from scripts_app.admission import refused
from scripts_app.executions import error_text
from scripts_app.invocations import limits
from scripts_app.invocations import run as invoke
from scripts_app.models import Execution, LogEntry
from scripts_app.records import buffer, log_rows
from scripts_app.routing import RouteTarget

log = logging.getLogger(__name__)

# The execution kind of a scheduled run (scheduler_app.apps: R8's cron row).
KIND = "scheduled"
# context.execution.triggeredBy of every scheduled run, whatever its type:
# IOTA's word for a run the scheduler started ("manual" is an operator's,
# "api" a caller's), and an aiwebengine one-off or recurring job is started
# the same way a cron job is.
TRIGGERED_BY = "cron"
# Due rows locked and claimed per transaction: a burst of due runs is handed
# out in slices, the first ones while the rest are still being claimed.
CLAIM_BATCH = 200

# How long an ended run waits for others to be recorded with it (its slot
# is free already; only its record waits).
GATHER_SECONDS = 0.1

# Fields a claim or a settled run changes.
_CLAIM_FIELDS = [
    "next_run_at",
    "enabled",
    "running_execution",
    "running_since",
    "running_until",
    "last_run_at",
    "last_status",
    "last_execution",
    "run_count",
    "skip_count",
    "updated_at",
]


class Run(NamedTuple):
    """A claimed run, as a task message carries it (JSON-able values)."""

    job_id: str
    due: str  # ISO 8601, UTC
    execution_id: str
    script_id: int | None = None  # runs of one script are handed out together


def iso_utc(moment: datetime) -> str:
    """`2025-03-01T12:00:00Z` (with milliseconds when it has any), as the seed writes."""
    moment = moment.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


# -- claiming ------------------------------------------------------------------------


def claim_batches(now: datetime | None = None, ahead: float = 0.0):
    """Claim every run due by `now`, in slices; yield each slice's list of Runs.

    Runs of jobs whose previous run is still going, and recurring runs missed
    while nothing ticked, are recorded as skipped instead; runs whose
    deadline passed are settled first (see the module docstring).

    With `ahead` (seconds), the runs due within that much after `now` are
    claimed too, after the due ones: a worker starts such a run at its due
    moment (run_jobs), so a burst is claimed and handed out before it is due.
    Only jobs with no run going are claimed early; the others are decided
    when due (a run still going then is a skip).
    """
    now = now or datetime.now(UTC)
    settle_overdue(now)
    due = Job.objects.filter(enabled=True, next_run_at__lte=now)
    soon = Job.objects.filter(
        enabled=True,
        running_execution__isnull=True,
        next_run_at__gt=now,
        next_run_at__lte=now + timedelta(seconds=max(ahead, 0.0)),
    )
    for queryset in (due, soon) if ahead > 0 else (due,):
        while True:
            claimed, seen = _claim(queryset, now)
            if claimed:
                yield claimed
            if seen < CLAIM_BATCH:
                break


def claim_due(now: datetime | None = None) -> list[Run]:
    """Every run due by `now`, claimed (see claim_batches)."""
    return [run for batch in claim_batches(now) for run in batch]


def claim_one(job_id, due: datetime) -> Run | None:
    """Claim the run of job `job_id` due at `due`, if it is still to be claimed."""
    # `due` may come from iso_utc (to the millisecond), the row's to the µs.
    claimed, _ = _claim(
        Job.objects.filter(
            id=job_id,
            enabled=True,
            next_run_at__gte=due,
            next_run_at__lt=due + timedelta(milliseconds=1),
        ),
        datetime.now(UTC),
    )
    return claimed[0] if claimed else None


def settle_overdue(now: datetime | None = None) -> int:
    """Settle the runs still marked running past their deadline; return how many."""
    now = now or datetime.now(UTC)
    settled = 0
    while True:
        with transaction.atomic():
            jobs = list(
                _locked(
                    Job.objects.filter(
                        running_execution__isnull=False, running_until__lt=now
                    )
                )[:CLAIM_BATCH]
            )
            records = _Records()
            for job in jobs:
                _settle(job, now, records)
            _save(jobs, records)
        settled += len(jobs)
        if len(jobs) < CLAIM_BATCH:
            return settled


def _locked(queryset):
    """The rows, locked for this transaction; rows another tick holds are skipped.

    (SQLite ignores the lock clause: its IMMEDIATE transactions already let
    one writer in at a time.)
    """
    return (
        queryset.select_for_update(skip_locked=True, of=("self",))
        .select_related("script")
        .defer(*_SCRIPT_BULK)
        .order_by("next_run_at", "id")
    )


# A job's script columns a run never reads: its source (the run gets it from
# the source cache) and its registrations (JSON parsed per row). A burst
# claims hundreds of jobs, and each row carried them.
_SCRIPT_BULK = ("script__source", "script__registrations")


def _claim(queryset, now: datetime) -> tuple[list[Run], int]:
    """Claim the runs of the (due) jobs of `queryset`; return them and the rows seen."""
    grace = timedelta(seconds=scripts_setting("SCHEDULER_MISSED_GRACE_SECONDS"))
    start_within = timedelta(seconds=scripts_setting("SCHEDULER_START_SECONDS"))
    runs: list[Run] = []
    with transaction.atomic():
        jobs = list(_locked(queryset)[:CLAIM_BATCH])
        records = _Records()
        for job in jobs:
            due = job.next_run_at
            if job.running_execution and job.running_until and job.running_until < now:
                _settle(job, now, records)
            # A run claimed ahead of its time (claim_batches) counts from its
            # due moment: the job's next run comes after that one.
            moment = max(now, due)
            try:
                # The catch-up policy: the next slot after now, not after `due`.
                following = schedule.next_run(job, moment)
            except Exception as exc:  # one bad row must not stop every tick
                log.exception("Job %s: its next run cannot be computed", job.id)
                following, job.enabled = None, False
                records.skipped(
                    job,
                    due,
                    now,
                    f"its next run cannot be computed ({exc}); the job is disabled",
                )
            else:
                if job.running_execution:
                    records.skipped(
                        job, due, now, "its previous run is still going (no overlap)"
                    )
                elif not job.script.enabled:
                    records.skipped(job, due, now, "its script is disabled")
                elif job.type != JobType.ONE_OFF and now - due > grace:
                    records.skipped(
                        job,
                        due,
                        now,
                        f"missed: found {(now - due).total_seconds():.0f} s late (no "
                        "scheduler was running); missed runs are not replayed",
                    )
                else:
                    execution_id = ids.uuid7()
                    job.running_execution = execution_id
                    job.running_since = None
                    job.running_until = moment + start_within
                    runs.append(
                        Run(str(job.id), iso_utc(due), str(execution_id), job.script_id)
                    )
            job.next_run_at = following
            job.updated_at = now
        _save(jobs, records)
    # Runs of one script side by side: handed out together, they share the
    # worker's warm context of that script instead of each building one.
    runs.sort(key=lambda run: run.script_id)
    return runs, len(jobs)


class _Records:
    """Execution and log rows a claim writes, in its own transaction."""

    def __init__(self):
        self.executions: list[Execution] = []
        self.logs: list[dict] = []

    def add(self, job, now, status: str, error: str, trigger: str) -> Execution:
        row = Execution(
            id=ids.uuid7(),
            tenant_id=job.tenant_id,
            script_id=job.script_id,
            script_name=job.script.name,
            version=job.script.version,
            kind=KIND,
            handler=job.handler,
            trigger=trigger[:300],
            triggered_by=TRIGGERED_BY,
            ref=job.ref,
            status=status,
            duration_ms=0.0,
            error=error,
            started_at=now,
        )
        self.executions.append(row)
        return row

    def skipped(self, job, due, now, why: str) -> None:
        row = self.add(
            job, now, "skipped", f"Not run: {why}.", trigger_of(job, due) + " skipped"
        )
        job.skip_count += 1
        job.last_status, job.last_execution = "skipped", row.id


def _settle(job, now: datetime, records: _Records) -> None:
    """Settle a run past its deadline: caught up if it finished, else lost."""
    running = job.running_execution
    done = (
        Execution.objects.filter(id=running).values_list("status", "started_at").first()
    )
    if done is not None:
        # It finished and its record was written; the worker stopped before
        # noting it on the job.
        job.last_status, job.last_run_at = done
        job.last_execution = running
        job.run_count += 1
    else:
        if job.running_since is None:
            why = (
                f"it was claimed but never started by {iso_utc(job.running_until)} "
                "(its task was lost, or no worker took it)"
            )
        else:
            why = (
                f"it started at {iso_utc(job.running_since)} and had not finished "
                f"by {iso_utc(job.running_until)} (the process running it stopped "
                "or was killed)"
            )
        error = f"Lost: execution {running}: {why}. Lost runs are not retried."
        row = records.add(job, now, "lost", error, f"{job.type} job {job.name} lost")
        records.logs += log_rows(
            job.tenant_id,
            job.script_id,
            job.script.name,
            row.id,
            [],
            [{"level": "ERROR", "message": f"Scheduled job '{job.name}': {error}"}],
        )
        job.last_status, job.last_execution = "lost", row.id
        job.last_run_at = job.running_since or job.running_until
    job.running_execution = job.running_since = job.running_until = None
    job.updated_at = now


def _save(jobs: list[Job], records: _Records) -> None:
    if jobs:
        _update_rows(jobs, _CLAIM_FIELDS)
    if records.executions:
        Execution.objects.bulk_create(records.executions)
    if records.logs:
        LogEntry.objects.bulk_create([LogEntry(**row) for row in records.logs])
        transaction.on_commit(partial(live_logs.publish, records.logs), robust=True)


def _update_rows(jobs: list[Job], fields: list[str]) -> None:
    """Write `fields` of each job: one UPDATE statement, executed per row.

    (bulk_update builds a CASE per field and row: for a burst of a few
    hundred due jobs it cost seconds of CPU; executemany costs milliseconds.)
    """
    connection = connections[router.db_for_write(Job)]
    columns = [Job._meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(Job._meta.db_table),
        ", ".join(f"{qn(f.column)} = %s" for f in columns),
        qn(Job._meta.pk.column),
    )
    pk = Job._meta.pk
    params = [
        [f.get_db_prep_save(getattr(job, f.attname), connection) for f in columns]
        + [pk.get_db_prep_save(job.pk, connection)]
        for job in jobs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def trigger_of(job, due: datetime) -> str:
    """What an execution record says started it: `cron job nightly @ <due>`."""
    return f"{job.type} job {job.name} @ {iso_utc(due)}"


# -- running -------------------------------------------------------------------------


async def run_job(job_id, scheduled_for, execution_id=None):
    """Run job `job_id`'s run due at `scheduled_for`; return its Outcome.

    `execution_id` is the id its claim gave it (a tick's Run); without one,
    the run is claimed here first (it must still be due at `scheduled_for`).
    None when it is not this call's to run: already claimed or started
    elsewhere, settled as lost, or the job is gone.
    """
    due = _moment(scheduled_for)
    if execution_id is None:
        claimed = await sync_to_async(claim_one)(job_id, due)
        if claimed is None:
            return None
        execution_id = claimed.execution_id
    [outcome] = await run_jobs([Run(str(job_id), iso_utc(due), str(execution_id))])
    return outcome


async def run_jobs(runs: list[Run], on_done=None) -> list:
    """Run claimed runs (run_job for several); return their Outcomes (or None).

    They are started together (one transaction), runs of different scripts
    side by side and those of one script one after another (they then share
    one warm context instead of building one each); `on_done()` is called as
    each one ends (or is found not this call's to run).
    """
    _start_prewarm(runs)
    started = await sync_to_async(_start)([run.execution_id for run in runs])
    outcomes: list = [None] * len(runs)
    groups: dict = {}
    for index, run in enumerate(runs):
        job = started.get(run.execution_id)
        if job is None:
            if on_done is not None:
                on_done()
            continue
        groups.setdefault(job.script_id, []).append((index, run, job))

    finishing: list[asyncio.Future] = []

    async def one_after_another(items):
        for index, run, job in items:
            try:
                outcomes[index], noted = await _run_started(job, run)
                finishing.append(noted)
            except Exception:  # settled as lost once its deadline passes
                log.exception(
                    "Scheduled run %s of job %s failed", run.execution_id, run.job_id
                )
            finally:
                # Its slot is free once its handler ended; its records are
                # written with those of the runs that end meanwhile.
                if on_done is not None:
                    on_done()

    await asyncio.gather(*(one_after_another(items) for items in groups.values()))
    for noted in await asyncio.gather(*finishing, return_exceptions=True):
        if isinstance(noted, Exception):
            log.error("Recording scheduled runs failed: %s", noted)
    return outcomes


# -- warming up before a burst -------------------------------------------------------
#
# A run claimed ahead of its time (claim_batches) waits for its due moment.
# The contexts of the scripts due then can be built meanwhile: a worker that
# gets such runs builds, until the first of them is due, a context of each
# script of every run claimed ahead and due by then that it has none of
# (whichever worker will run them), so that the burst finds them warm
# instead of building them while it runs. At most as many as the pool has
# room for, PREWARM_BUILDS at a time; a worker's warm contexts are kept.

PREWARM_BUILDS = 2
_prewarming: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _start_prewarm(runs: list[Run]) -> None:
    """Warm up for the runs claimed ahead among `runs`, unless it is under way."""
    ahead = [due for due in (_moment(run.due) for run in runs) if _claimed_ahead(due)]
    if not ahead:
        return
    loop = asyncio.get_running_loop()
    going = _prewarming.get(loop)
    if going is not None and not going.done():
        return
    task = loop.create_task(prewarm(min(ahead)))
    _prewarming[loop] = task
    task.add_done_callback(_retrieve_prewarm)


def _claimed_ahead(due: datetime) -> bool:
    """Is a run due then one a tick claimed ahead of its time (claim_batches)?

    A tick claims no run further ahead than SCHEDULER_LOOKAHEAD_SECONDS (the
    time its message takes only brings it closer). A run further ahead was
    claimed on purpose (run_job with a due time of its own): it runs now.
    """
    early = (due - datetime.now(UTC)).total_seconds()
    return 0 < early <= scripts_setting("SCHEDULER_LOOKAHEAD_SECONDS") + 1.0


def _retrieve_prewarm(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("Warming up for due runs failed: %s", task.exception())


def _due_soon(until: datetime) -> list[tuple]:
    """(tenant, RouteTarget) of each script version with runs claimed ahead
    (not started yet) due by `until`, soonest first."""
    now = datetime.now(UTC)
    start_within = timedelta(seconds=scripts_setting("SCHEDULER_START_SECONDS"))
    jobs = (
        Job.objects.filter(
            running_execution__isnull=False,
            running_since__isnull=True,
            # A claim ahead gave it running_until = due + start_within.
            running_until__gt=now + start_within,
            # (A Run's due is to the millisecond: iso_utc.)
            running_until__lt=until + start_within + timedelta(milliseconds=1),
        )
        .select_related("script", "tenant")
        .defer(*_SCRIPT_BULK)
        .order_by("running_until")
    )
    found: dict = {}
    for job in jobs:
        key = (job.script_id, job.script.version)
        if key not in found:
            found[key] = (job.tenant, target_of(job))
    return list(found.values())


async def prewarm(until: datetime) -> int:
    """Build the contexts runs due by `until` will need (see above); stop at
    `until`. Return how many script versions are warm for them."""
    from scripts_app.engines import engine
    from scripts_app.sources import load_source

    running = engine()
    wanted = [
        (tenant, target)
        for tenant, target in await sync_to_async(_due_soon)(until)
        if (target.script_id, target.version) not in running
    ][: running.room()]
    if not wanted:
        return 0
    builds = asyncio.Semaphore(PREWARM_BUILDS)

    async def warm(tenant, target) -> bool:
        async with builds:
            left = (until - datetime.now(UTC)).total_seconds()
            if left <= 0:
                return False  # the burst began: its runs build what they need
            return await running.warm(
                (target.script_id, target.version),
                partial(load_source, tenant, target),
                left,
            )

    began = datetime.now(UTC)
    warmed = sum(await asyncio.gather(*(warm(*item) for item in wanted)))
    log.info(
        "Warmed %d of %d scripts due at %s in %.2f s",
        warmed,
        len(wanted),
        iso_utc(until),
        (datetime.now(UTC) - began).total_seconds(),
    )
    return warmed


async def _run_started(job, run: Run):
    due = _moment(run.due)
    if _claimed_ahead(due):
        # Claimed ahead of its time (claim_batches): it starts when due.
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds())
        job.running_since = datetime.now(UTC)  # what the job's last run says
    target = target_of(job)
    context = {"meta": {"schedule": schedule_info(job, due)}}
    outcome = await invoke(
        KIND,
        job.tenant,
        target,
        context,
        trigger=trigger_of(job, due),
        triggered_by=TRIGGERED_BY,
        ref=job.ref,
        keep_result=True,
        execution_id=run.execution_id,
        script_type="cron" if job.type == JobType.CRON else None,
    )
    return outcome, _finisher().finish((job, target, due, run.execution_id, outcome))


def target_of(job) -> RouteTarget:
    """What the invocation runner calls for a run of `job`."""
    script = job.script
    return RouteTarget(
        script.id,
        script.name,
        script.version,
        job.handler,
        f"job {job.name}",
        capabilities=tuple(script.capabilities or ()),
    )


def schedule_info(job, due: datetime) -> dict:
    """context.meta.schedule, as the seed documents it."""
    return {
        "jobId": str(job.id),
        "name": job.name,
        "type": job.type,
        "scheduledFor": iso_utc(due),
        "intervalSeconds": job.interval_seconds
        if job.type == JobType.RECURRING
        else None,
    }


def _start(execution_ids: list) -> dict:
    """Start claimed runs: {execution id: job} of those that were this call's.

    A run is started once: its execution id still on its job, not started
    yet. It is then running until its time limit plus a margin.
    """
    close_old_connections()  # a worker's connection may have gone stale
    now = datetime.now(UTC)
    until = now + timedelta(
        seconds=limits(KIND).seconds + scripts_setting("SCHEDULER_LOST_MARGIN_SECONDS")
    )
    with transaction.atomic():
        # Execution ids are unique: each names one job's one run.
        jobs = list(
            Job.objects.select_for_update(of=("self",))
            .select_related("script", "tenant")
            .defer(*_SCRIPT_BULK)
            .filter(running_execution__in=execution_ids, running_since__isnull=True)
        )
        Job.objects.filter(id__in=[job.id for job in jobs]).update(
            running_since=now, running_until=until, updated_at=now
        )
    for job in jobs:
        job.running_since, job.running_until = now, until
    if len(jobs) < len(execution_ids):
        log.info(
            "%d of %d runs were not this worker's to start (started or settled "
            "elsewhere)",
            len(execution_ids) - len(jobs),
            len(execution_ids),
        )
    return {str(job.running_execution): job for job in jobs}


def status_of(outcome) -> str:
    """The Execution status of an outcome (as scripts_app.executions writes it)."""
    if outcome.error is None:
        return "ok"
    return {"timeout": "timeout", "memory_limit": "memory_limit"}.get(
        outcome.error.code, "error"
    )


class _Finisher:
    """Note ended runs on their jobs, those that end close together at once.

    Each run's records are written first (one flush for them all), then each
    job is updated: a worker killed in between leaves a run whose record
    exists, which the next tick only catches up on (see _settle).
    """

    def __init__(self):
        self.waiting: list = []
        self.writing: asyncio.Task | None = None

    def finish(self, item) -> asyncio.Future:
        """Queue an ended run; the Future is done once it is written."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((item, done))
        if self.writing is None or self.writing.done():
            self.writing = asyncio.create_task(self._write())
        return done

    async def _write(self) -> None:
        # A moment for the runs ending alongside to join: one write for all.
        await asyncio.sleep(GATHER_SECONDS)
        while self.waiting:
            taken, self.waiting = self.waiting, []
            try:
                await sync_to_async(_finish)([item for item, _ in taken])
            except Exception as exc:
                for _, done in taken:
                    done.set_exception(exc)
            else:
                for _, done in taken:
                    done.set_result(None)


_finishers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _finisher() -> _Finisher:
    loop = asyncio.get_running_loop()
    found = _finishers.get(loop)
    if found is None:
        found = _finishers[loop] = _Finisher()
    return found


def _finish(items: list) -> None:
    """Write the ended runs' records, then note on each job that its run ended."""
    now = datetime.now(UTC)
    ended = []
    for job, target, due, execution_id, outcome in items:
        status = status_of(outcome)
        if refused(outcome):
            # The tenant's cap of running invocations turned it away: nothing
            # ran and the runner wrote nothing; say so.
            status = "skipped"
            buffer().add(
                {
                    "id": execution_id,
                    "tenant_id": job.tenant_id,
                    "script_id": job.script_id,
                    "script_name": job.script.name,
                    "version": target.version,
                    "kind": KIND,
                    "handler": job.handler,
                    "trigger": trigger_of(job, due) + " skipped",
                    "triggered_by": TRIGGERED_BY,
                    "ref": job.ref,
                    "status": status,
                    "duration_ms": 0.0,
                    "error": f"Not run: {outcome.error.message}",
                    "started_at": now,
                },
                [],
            )
        elif outcome.error is not None:
            # The seed's tip 3: a scheduled handler that throws leaves a FATAL entry.
            message = (
                f"Scheduled job '{job.name}' ({job.type}, due {iso_utc(due)}) "
                f"failed: {error_text(outcome.error, target)}"
            )
            buffer().add_logs(
                log_rows(
                    job.tenant_id,
                    job.script_id,
                    job.script.name,
                    execution_id,
                    [],
                    [{"level": "FATAL", "message": message}],
                )
            )
        ended.append((job, execution_id, status))
    # One transaction, one commit (a commit is an fsync: the cost that counts
    # when hundreds of runs end at once): the records, then the jobs.
    with transaction.atomic():
        buffer().flush()
        _note_ended(ended, now)


def _note_ended(ended: list, now: datetime) -> None:
    """Clear each job's running run (if it is still that one) and count it."""
    connection = connections[router.db_for_write(Job)]
    qn = connection.ops.quote_name
    field = Job._meta.get_field
    columns = [
        field(name)
        for name in ("last_run_at", "last_status", "last_execution", "updated_at")
    ]
    sql = (
        "UPDATE {table} SET {running} = NULL, {since} = NULL, {until} = NULL, "
        "{values}, {runs} = {runs} + %s, {skips} = {skips} + %s "
        "WHERE {pk} = %s AND {running} = %s"
    ).format(
        table=qn(Job._meta.db_table),
        running=qn(field("running_execution").column),
        since=qn(field("running_since").column),
        until=qn(field("running_until").column),
        values=", ".join(f"{qn(f.column)} = %s" for f in columns),
        runs=qn(field("run_count").column),
        skips=qn(field("skip_count").column),
        pk=qn(Job._meta.pk.column),
    )
    params = []
    for job, execution_id, status in ended:
        skipped = status == "skipped"
        values = (job.running_since, status, uuid.UUID(str(execution_id)), now)
        params.append(
            [
                f.get_db_prep_save(v, connection)
                for f, v in zip(columns, values, strict=True)
            ]
            + [0 if skipped else 1, 1 if skipped else 0]
            + [
                Job._meta.pk.get_db_prep_save(job.pk, connection),
                field("running_execution").get_db_prep_save(
                    uuid.UUID(str(execution_id)), connection
                ),
            ]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
