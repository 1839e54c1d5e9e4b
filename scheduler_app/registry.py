"""A script's jobs: checked at upload, stored as rows, changed by its handlers.

What a script's load registered (script.registrations["jobs"], made by
script_api.js) and what its header declares (@cron, @timezone) become its
Job rows. The upload's set replaces the previous one (the seed: clearAll runs
before each init()); a job that keeps its name keeps its row, its id and its
run history, so a job whose run is under way is not run twice. Re-uploading
a one-off that already ran at the same runAt does not run it again.

A job runs only while its script is enabled and privileged: disabling the
script (or taking its privilege away) disables its jobs, and enabling it
again re-enables them, resuming recurring and cron jobs at their next slot
(missed slots are not made up) and running a one-off that has not run yet
(scheduler_app.signals).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from core.cron import CronError, check_timezone
from core.cron import parse as parse_cron
from scheduler_app.models import Job, JobType
from scheduler_app.schedule import initial_next_run, next_run

# script_api.js's NAMESPACE: a job's id is uuid5(this, "tenant/script/name").
JOB_ID_NAMESPACE = uuid.UUID("5a6b3f0e-8c1d-4f53-9a57-6f0e2d1c4b7a")
HEADER_JOB = "@cron"  # the name of the job an @cron header declares
HEADER_HANDLER = "main"  # IOTA's entry point
MAX_CHARS = 128  # of a name and a handler (Job.name, Job.handler)
MAX_CRON_CHARS = 120  # Job.cron
MAX_INTERVAL_SECONDS = 10 * 365 * 86400  # script_api.js's MAX_INTERVAL_MINUTES
HANDLER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]{0,127}$")


class JobInvalid(ValueError):
    """A registration the host cannot accept; `details` says which job and where."""

    def __init__(self, message: str, details: dict):
        super().__init__(message)
        self.details = details


@dataclass
class JobSpec:
    """One job as a script asked for it (its schedule, not its run state)."""

    name: str
    handler: str
    type: str
    run_at: datetime | None = None
    interval_seconds: int | None = None
    start_at: datetime | None = None
    cron: str = ""
    timezone: str = "UTC"
    from_header: bool = False

    def schedule(self) -> tuple:
        return (
            self.type,
            self.run_at,
            self.interval_seconds,
            self.start_at,
            self.cron,
            self.timezone,
        )


def job_id(tenant_slug: str, script_name: str, name: str) -> uuid.UUID:
    """The id of a script's job `name`: the same at every load and upload."""
    return uuid.uuid5(JOB_ID_NAMESPACE, f"{tenant_slug}/{script_name}/{name}")


def spec_of(registration: dict) -> JobSpec:
    """A registration of script_api.js as a JobSpec; raise JobInvalid if it is wrong.

    script_api.js has checked the handler, name, times and interval; the cron
    expression and the time zone are checked here, where croniter and the
    zone database are.
    """
    name = str(registration.get("name") or "")
    kind = registration.get("type")
    handler = registration.get("handler")
    if not 0 < len(name) <= MAX_CHARS:
        raise JobInvalid(
            f"A scheduled job's name must be 1-{MAX_CHARS} characters, got {name!r}",
            {"job": name[:MAX_CHARS]},
        )
    if not isinstance(handler, str) or not HANDLER.match(handler):
        raise JobInvalid(
            f"Scheduled job '{name}': the handler must be a function name of at most "
            f"{MAX_CHARS} characters, got {handler!r}",
            {"job": name},
        )
    try:
        if kind == JobType.ONE_OFF:
            return JobSpec(
                name, registration["handler"], kind, run_at=_time(registration["runAt"])
            )
        if kind == JobType.RECURRING:
            seconds = int(registration["intervalSeconds"])
            if not 60 <= seconds <= MAX_INTERVAL_SECONDS:
                raise ValueError(
                    "intervalMinutes must be at least 1 (at most ten years)"
                )
            return JobSpec(
                name,
                registration["handler"],
                kind,
                interval_seconds=seconds,
                start_at=_time(registration["startAt"]),
            )
        if kind == JobType.CRON:
            spec = JobSpec(
                name,
                registration["handler"],
                kind,
                cron=str(registration["cron"]),
                timezone=str(registration.get("timezone") or "UTC"),
            )
            check_cron(spec)
            return spec
    except JobInvalid:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise JobInvalid(
            f"Scheduled job '{name}' is not valid: {exc}", {"job": name}
        ) from None
    raise JobInvalid(f"Scheduled job '{name}' has no known type", {"job": name})


def check_cron(spec: JobSpec) -> None:
    """Refuse a cron job whose expression or zone is wrong, or that never runs."""
    if len(spec.cron) > MAX_CRON_CHARS:
        raise JobInvalid(
            f"Scheduled job '{spec.name}': a cron expression is at most "
            f"{MAX_CRON_CHARS} characters",
            {"job": spec.name},
        )
    try:
        parse_cron(spec.cron)
    except CronError as exc:
        raise JobInvalid(
            f"Scheduled job '{spec.name}': invalid cron expression '{spec.cron}': "
            f"{exc}",
            {"job": spec.name, "field": exc.field, "column": exc.column},
        ) from None
    try:
        check_timezone(spec.timezone)
    except ValueError as exc:
        raise JobInvalid(
            f"Scheduled job '{spec.name}': {exc}",
            {"job": spec.name, "timezone": spec.timezone},
        ) from None
    if next_run(spec, datetime.now(tz=UTC)) is None:
        raise JobInvalid(
            f"Scheduled job '{spec.name}': the cron expression '{spec.cron}' "
            "matches no date (such as the 30th of February), so it would never run",
            {"job": spec.name},
        )


def header_spec(header: dict) -> JobSpec | None:
    """The job an IOTA header declares (`@cron 0 9 * * *`, `@timezone ...`), or None.

    scripts_app.header has checked the expression and the zone.
    """
    cron = header.get("cron")
    if not cron:
        return None
    return JobSpec(
        HEADER_JOB,
        HEADER_HANDLER,
        JobType.CRON,
        cron=cron,
        timezone=header.get("timezone") or "UTC",
        from_header=True,
    )


def specs_of(registrations: dict) -> list[JobSpec]:
    """The JobSpecs of an upload's registrations; raise JobInvalid for a wrong one."""
    return [spec_of(r) for r in registrations.get("jobs", [])]


def store(script, registrations: dict) -> None:
    """Make the script's Job rows what this upload registered (and its header declares).

    Called inside the upload's transaction, after script.header and
    script.registrations were saved.
    """
    specs = specs_of(registrations)
    declared = header_spec(script.header or {})
    if declared is not None:
        specs.append(declared)
    now = timezone.now()
    kept = {j.name: j for j in Job.objects.filter(script=script)}
    for spec in specs:
        put(script, spec, now, kept.pop(spec.name, None))
    if kept:
        Job.objects.filter(pk__in=[j.pk for j in kept.values()]).delete()


def put(script, spec: JobSpec, now: datetime, job: Job | None = None) -> Job:
    """Create or overwrite the script's job `spec.name`; return it."""
    if job is None:
        job = Job.objects.filter(script=script, name=spec.name).first()
    if job is None:
        job = Job(
            id=job_id(script.tenant.slug, script.name, spec.name),
            tenant_id=script.tenant_id,
            script=script,
            name=spec.name,
        )
    unchanged = (
        job.pk is not None
        and (
            job.type,
            job.run_at,
            job.interval_seconds,
            job.start_at,
            job.cron,
            job.timezone,
        )
        == spec.schedule()
    )
    job.handler = spec.handler
    job.type = spec.type
    job.run_at = spec.run_at
    job.interval_seconds = spec.interval_seconds
    job.start_at = spec.start_at
    job.cron = spec.cron
    job.timezone = spec.timezone
    job.from_header = spec.from_header
    job.enabled = runs(script)
    # The same schedule again keeps its slot, and a one-off that ran (or is
    # running) is not run again; anything else starts afresh.
    started = job.last_run_at is not None or job.running_execution is not None
    done = spec.type == JobType.ONE_OFF and started
    if not (unchanged and (job.next_run_at is not None or done)):
        job.next_run_at = initial_next_run(job, now)
    job.save()
    return job


def runs(script) -> bool:
    """True when the script's jobs may run: it is enabled and privileged."""
    return bool(script.enabled and script.privileged)


def clear(script) -> int:
    """Remove the jobs the script registered (not its @cron header's); return how many."""
    deleted, _ = Job.objects.filter(script=script, from_header=False).delete()
    return deleted


def _time(text) -> datetime:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"expected a UTC ISO-8601 time ending in 'Z', got {text!r}")
    return datetime.fromisoformat(text[:-1] + "+00:00")
