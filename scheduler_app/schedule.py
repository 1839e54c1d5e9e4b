"""When a job is due: its first run, and its next run after a given moment.

A stand-in with the interface the runner uses (scheduler_app.runner calls
only `next_run`); the scripts' side of the scheduler brings the full version.
Catch-up policy: missed recurring/cron slots are not replayed; the job
resumes at its next slot.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def next_run(job, after: datetime) -> datetime | None:
    """The job's next due time strictly after `after` (aware UTC); None: never."""
    if job.type == "one-off":
        return job.run_at if job.run_at and job.run_at > after else None
    if job.type == "recurring":
        step = timedelta(seconds=job.interval_seconds)
        anchor = job.start_at or job.created_at or after
        if anchor > after:
            return anchor
        slots = math.floor((after - anchor) / step) + 1
        return anchor + slots * step
    from croniter import croniter

    local = after.astimezone(ZoneInfo(job.timezone or "UTC"))
    following = croniter(job.cron, local).get_next(datetime)
    return following.astimezone(UTC)


def initial_next_run(job, now: datetime) -> datetime | None:
    """The job's first due time, as registered at `now`."""
    if job.type == "one-off":
        return job.run_at
    if job.type == "recurring" and job.start_at is None:
        return now + timedelta(seconds=job.interval_seconds)
    return next_run(job, now - timedelta(microseconds=1))
