"""When a job is due: pure functions of a job's schedule and a time.

No database, no clock: the caller says what "now" is, so the same code
serves the upload (initial_next_run), the runner that moves a job on after
each run (next_run), and the tests, which freeze time by passing it.

A job here is anything with the Job model's schedule fields (type, run_at,
interval_seconds, start_at, cron, timezone). Every datetime in and out is
aware; results are in UTC.

Catch-up policy (the seed: "if the engine restarts, missed jobs resume on
the next interval"): a recurring or cron job is never run once per slot it
missed. The runner moves a due job on with next_run(job, now), strictly
after *now*, so however many slots went by while the platform was down, the
job is next due at its next slot after it came back. The one slot it finds
overdue runs only if it is at most SCRIPTS["SCHEDULER_MISSED_GRACE_SECONDS"]
late (default 60: a beat's ordinary delay); later than that, it counts as
missed and is dropped (skips_missed). A one-off job has no next slot: it runs
once, as soon as possible, however late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from croniter import CroniterBadDateError, croniter

from core.cron import check_timezone
from core.cron import parse as parse_cron

# Wall-clock offsets of one zone differ by at most a few hours (DST is one
# hour almost everywhere, two in Antarctica/Troll): a local time this far past
# the first candidate cannot map to an earlier instant.
_MAX_OFFSET_SHIFT = timedelta(hours=3)


def next_run(job, after: datetime) -> datetime | None:
    """When `job` is next due strictly after `after` (an aware datetime), in UTC.

    - one-off: its run_at if that is after `after`, else None (never again);
    - recurring: start_at + k * interval_seconds for the least k >= 0 that is
      after `after` (so a job keeps its phase, whatever the delays);
    - cron: the next time the expression matches in job.timezone (a local
      wall-clock schedule: "0 9 * * *" in Europe/Helsinki is 09:00 in
      Helsinki, summer and winter), as UTC. Daylight saving:
      - a local time the clocks skip (02:30 on the spring-forward day in
        America/New_York, 03:30 in Europe/Helsinki) runs once, at the instant
        that wall time would have been without the change: 03:30 EDT (07:30
        UTC) for New York's 02:30;
      - a local time the clocks repeat (01:30 on New York's fall-back day)
        runs once, at its first occurrence (01:30 EDT, 05:30 UTC), unless the
        hour field matches every hour (`*`, `*/1`): then it runs at both, so
        an hourly job keeps running every hour through the repeated one.
      None when the expression matches no date at all ("0 0 30 2 *").

    Catch-up: call next_run(job, now) to move a job on, never next_run(job,
    job.next_run_at) in a loop; see this module's docstring.
    """
    after = _utc(after)
    if job.type == "one-off":
        run_at = _utc(job.run_at)
        return run_at if run_at > after else None
    if job.type == "recurring":
        return _next_slot(_utc(job.start_at), job.interval_seconds, after)
    if job.type == "cron":
        return _next_cron(job.cron, job.timezone or "UTC", after)
    raise ValueError(f"unknown job type {job.type!r}")


def initial_next_run(job, now: datetime) -> datetime | None:
    """The first time `job` is due when it is registered (or registered again) at `now`.

    A time at `now` itself counts as due now. A one-off whose run_at is
    already past is not refused (the seed's own example registers
    "2025-01-01T09:00:00Z"): it runs once, as soon as possible, so this
    returns `now`. A recurring job whose start_at is past resumes at its next
    slot after `now`, as after downtime; a cron job is due at its next match.
    """
    now = _utc(now)
    if job.type == "one-off":
        return max(_utc(job.run_at), now)
    return next_run(job, now - timedelta(microseconds=1))


def skips_missed(job, due: datetime, now: datetime, grace_seconds: float) -> bool:
    """True when the runner must drop the overdue slot `due` rather than run it late.

    A recurring or cron slot more than `grace_seconds` late was missed (the
    platform was down or behind) and is not made up; a one-off always runs.
    """
    if job.type == "one-off":
        return False
    return (_utc(now) - _utc(due)).total_seconds() > grace_seconds


def describe(job) -> str:
    """The schedule in words, for the admin and the APIs."""
    if job.type == "one-off":
        return f"Once, at {iso(job.run_at)}"
    if job.type == "recurring":
        return f"{every(job.interval_seconds)}, from {iso(job.start_at)}"
    from cron_descriptor import get_description

    try:
        words = get_description(parse_cron(job.cron).fields)
    except Exception:  # noqa: BLE001 - a description must never break a page
        words = job.cron
    return f"{words} ({job.timezone or 'UTC'})"


def every(seconds: int) -> str:
    """ "Every 30 minutes", "Every 2 hours", "Every 90 seconds"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"Every {unit}" if count == 1 else f"Every {count} {unit}s"
    return f"Every {seconds} seconds"


def iso(moment: datetime | None) -> str:
    """An aware time as UTC ISO-8601 with a Z ("2025-01-01T09:00:00Z")."""
    if moment is None:
        return ""
    text = _utc(moment).isoformat().replace("+00:00", "Z")
    return text


def _utc(moment: datetime) -> datetime:
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"an aware datetime is needed, got {moment!r}")
    return moment.astimezone(UTC)


def _next_slot(start: datetime, interval: int, after: datetime) -> datetime:
    if after < start:
        return start
    steps = (after - start) // timedelta(seconds=interval) + 1
    return start + steps * timedelta(seconds=interval)


def _next_cron(expression: str, zone_name: str, after: datetime) -> datetime | None:
    cron = parse_cron(expression)
    zone = check_timezone(zone_name)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    # Walk the local wall-clock matches from a little before `after` (a
    # repeated hour maps later wall times to earlier instants, and the
    # reverse), keeping the least instant after `after`.
    matches = croniter(cron.fields, local_after - _MAX_OFFSET_SHIFT)
    best = None
    while True:
        try:
            wall = matches.get_next(datetime)
        except CroniterBadDateError:
            return best  # no (further) date matches
        if best is not None and wall - _MAX_OFFSET_SHIFT > _local(best, zone):
            return best
        for moment in _instants(wall, zone, both=cron.every_hour):
            if moment > after and (best is None or moment < best):
                best = moment


def _local(moment: datetime, zone) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _instants(wall: datetime, zone, *, both: bool) -> list[datetime]:
    """The UTC instants a local wall-clock time names: one, or two in a repeated hour.

    A wall time in a spring-forward gap names none; it is taken with the
    offset before the change (zoneinfo's fold=0), which puts it as far after
    the change as it was after the last valid time before it.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return [first]
    if _local(first, zone) != wall:  # a gap: the wall time does not exist
        return [first]
    return [first, second] if both else [first]
