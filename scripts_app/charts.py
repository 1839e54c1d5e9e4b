"""Execution charts for the admin: what the last 24 hours of runs looked like.

The numbers come from the database in a few aggregate queries, whatever the
number of runs: counts per minute and status (GROUP BY), and percentiles by
nearest rank with window functions (ROW_NUMBER and COUNT over each hour),
which SQLite (3.25+) and PostgreSQL both have. Drawing them is
scripts_app.svg's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber, TruncHour, TruncMinute
from django.utils import timezone

from scripts_app.models import Execution, ExecutionStatus

HOURS = 24
# A run that went wrong; a skipped one (not started) is neither good nor bad.
FAILED = (
    ExecutionStatus.ERROR,
    ExecutionStatus.TIMEOUT,
    ExecutionStatus.MEMORY,
    ExecutionStatus.LOST,
)
PERCENTILES = (50, 95)


@dataclass
class Stats:
    """The last HOURS hours of runs, minute by minute and hour by hour."""

    start: datetime  # the first minute shown (UTC, on a minute)
    # {minute index from start: {status: count}}, only minutes with runs.
    per_minute: dict[int, dict[str, int]] = field(default_factory=dict)
    # {percentile: [ms or None for each clock hour from hour_start]}, HOURS + 1
    # of them: 24 hours from a minute past the hour touch 25 clock hours.
    hourly_percentiles: dict[int, list] = field(default_factory=dict)
    percentiles: dict[int, float | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.per_minute.values())

    def per_status(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.per_minute.values():
            for status, n in counts.items():
                totals[status] = totals.get(status, 0) + n
        return totals

    @property
    def hour_start(self) -> datetime:
        """The clock hour of the first minute: hour 0 of the hourly lists."""
        return self.start.replace(minute=0)

    def hourly_error_rate(self) -> list[float | None]:
        """Failed runs / finished runs per clock hour (None: no runs that hour)."""
        failed, finished = [0] * (HOURS + 1), [0] * (HOURS + 1)
        for minute, counts in self.per_minute.items():
            hour = (self.start.minute + minute) // 60
            for status, n in counts.items():
                if status != ExecutionStatus.SKIPPED:
                    finished[hour] += n
                if status in FAILED:
                    failed[hour] += n
        return [f / n if n else None for f, n in zip(failed, finished, strict=True)]

    @property
    def error_rate(self) -> float | None:
        totals = self.per_status()
        finished = sum(n for s, n in totals.items() if s != ExecutionStatus.SKIPPED)
        failed = sum(n for s, n in totals.items() if s in FAILED)
        return failed / finished if finished else None


def execution_stats(executions, now: datetime | None = None) -> Stats:
    """Aggregate `executions` (already limited to a tenant or script) over 24 h."""
    now = now or timezone.now()
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=HOURS * 60 - 1)
    runs = executions.filter(started_at__gte=start, started_at__lte=now).order_by()
    stats = Stats(start=start)
    per_minute = (
        runs.annotate(minute=TruncMinute("started_at"))
        .values_list("minute", "status")
        .annotate(n=Count("pk"))
    )
    for minute, status, n in per_minute:
        index = int((minute - start).total_seconds() // 60)
        stats.per_minute.setdefault(index, {})[status] = n
    hour_start = stats.hour_start
    for p in PERCENTILES:
        stats.percentiles[p] = _percentile(runs, p)
        hourly = [None] * (HOURS + 1)
        for hour, ms in _percentile_by_hour(runs, p):
            hourly[int((hour - hour_start).total_seconds() // 3600)] = ms
        stats.hourly_percentiles[p] = hourly
    return stats


def _ranked(runs, p: int, partition=None):
    """Rows whose duration is the p-th percentile (nearest rank) of its partition.

    The nearest rank is the first rank r with r >= p/100 * n, that is
    p/100 * n <= r < p/100 * n + 1 (no CEIL: SQLite may not have it).
    """
    over = {"partition_by": [partition]} if partition is not None else {}
    ranked = runs.annotate(
        rank=Window(RowNumber(), order_by=[F("duration_ms").asc(), F("pk")], **over),
        n=Window(Count("pk"), **over),
    )
    share = F("n") * (p / 100.0)
    return ranked.filter(Q(rank__gte=share) & Q(rank__lt=share + 1))


def _percentile(runs, p: int) -> float | None:
    return _ranked(runs, p).values_list("duration_ms", flat=True).first()


def _percentile_by_hour(runs, p: int):
    hourly = runs.annotate(hour=TruncHour("started_at"))
    return _ranked(hourly, p, partition=F("hour")).values_list("hour", "duration_ms")


def script_stats(script, now=None) -> Stats:
    return execution_stats(
        Execution.objects.filter(tenant_id=script.tenant_id, script_name=script.name),
        now,
    )


def tenant_stats(tenant, now=None) -> Stats:
    return execution_stats(Execution.objects.filter(tenant=tenant), now)
