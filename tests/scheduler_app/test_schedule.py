"""scheduler_app.schedule: when a job is due, with the clock passed in (frozen).

Daylight saving is the hard part: a cron job's times are local wall-clock
times in its zone, and some wall times happen twice or not at all.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from scheduler_app.schedule import (
    describe,
    every,
    initial_next_run,
    next_run,
    skips_missed,
)

NEW_YORK = "America/New_York"
HELSINKI = "Europe/Helsinki"


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def once(run_at):
    return SimpleNamespace(type="one-off", run_at=run_at)


def recurring(start_at, seconds):
    return SimpleNamespace(
        type="recurring", start_at=start_at, interval_seconds=seconds
    )


def cron(expression, zone="UTC"):
    return SimpleNamespace(type="cron", cron=expression, timezone=zone)


def runs(job, after, count):
    """The next `count` due times after `after`, each found from the last."""
    found = []
    for _ in range(count):
        after = next_run(job, after)
        found.append(after)
    return found


# ---- one-off ----------------------------------------------------------------------


def test_a_one_off_is_due_at_its_time_and_never_again():
    job = once(utc(2026, 3, 1, 12))
    assert next_run(job, utc(2026, 3, 1, 11, 59)) == utc(2026, 3, 1, 12)
    assert next_run(job, utc(2026, 3, 1, 12)) is None  # strictly after
    assert next_run(job, utc(2026, 3, 2)) is None


def test_a_one_off_registered_with_a_past_time_runs_once_as_soon_as_possible():
    now = utc(2026, 12, 7, 10)
    job = once(utc(2025, 1, 1, 9))  # the seed's Complete Example
    assert initial_next_run(job, now) == now
    assert next_run(job, now) is None  # and not again after that run


def test_a_one_off_registered_ahead_is_due_at_its_time():
    job = once(utc(2027, 1, 1, 9))
    assert initial_next_run(job, utc(2026, 12, 7)) == utc(2027, 1, 1, 9)


# ---- recurring --------------------------------------------------------------------


def test_a_recurring_job_is_due_every_interval_from_its_start():
    job = recurring(utc(2026, 1, 1), 30 * 60)
    assert next_run(job, utc(2025, 12, 31)) == utc(2026, 1, 1)
    assert runs(job, utc(2026, 1, 1), 3) == [
        utc(2026, 1, 1, 0, 30),
        utc(2026, 1, 1, 1),
        utc(2026, 1, 1, 1, 30),
    ]


def test_a_late_recurring_run_keeps_the_jobs_phase():
    job = recurring(utc(2026, 1, 1), 30 * 60)
    # Moved on 7 minutes late (a slow beat): the next slot is still :30.
    assert next_run(job, utc(2026, 1, 1, 0, 7)) == utc(2026, 1, 1, 0, 30)


def test_after_downtime_a_recurring_job_resumes_at_its_next_slot_not_per_missed_slot():
    job = recurring(utc(2026, 1, 1), 30 * 60)
    back = utc(2026, 1, 1, 5, 10)  # down from 00:20 to 05:10: nine slots missed
    assert next_run(job, back) == utc(2026, 1, 1, 5, 30)
    assert skips_missed(job, utc(2026, 1, 1, 0, 30), back, grace_seconds=60)


def test_a_slot_a_little_late_is_not_missed_and_a_one_off_never_is():
    job = recurring(utc(2026, 1, 1), 30 * 60)
    due = utc(2026, 1, 1, 0, 30)
    assert not skips_missed(job, due, due + timedelta(seconds=59), grace_seconds=60)
    assert skips_missed(job, due, due + timedelta(seconds=61), grace_seconds=60)
    assert not skips_missed(once(due), due, due + timedelta(days=3), grace_seconds=60)


def test_a_recurring_job_whose_start_is_past_starts_at_its_next_slot():
    job = recurring(utc(2026, 1, 1), 3600)
    assert initial_next_run(job, utc(2026, 1, 1, 2, 30)) == utc(2026, 1, 1, 3)
    assert initial_next_run(job, utc(2026, 1, 1, 3)) == utc(2026, 1, 1, 3)


def test_a_recurring_job_ignores_daylight_saving():
    # Intervals are in elapsed time: across New York's spring forward the
    # hourly job stays exactly 3600 s apart.
    job = recurring(utc(2026, 3, 8, 5), 3600)
    times = runs(job, utc(2026, 3, 8, 5), 3)
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [
        timedelta(hours=1)
    ] * 2


# ---- cron --------------------------------------------------------------------------


def test_a_cron_job_runs_at_local_wall_clock_time_summer_and_winter():
    job = cron("0 9 * * *", HELSINKI)
    # 09:00 in Helsinki is 07:00 UTC in winter (EET) and 06:00 in summer (EEST);
    # the clocks go forward on 2026-03-29.
    assert runs(job, utc(2026, 3, 27, 12), 3) == [
        utc(2026, 3, 28, 7),
        utc(2026, 3, 29, 6),
        utc(2026, 3, 30, 6),
    ]


def test_a_cron_time_the_clocks_skip_runs_once_an_hour_later_new_york():
    job = cron("30 2 * * *", NEW_YORK)
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT, so 02:30 never happens there.
    # It runs once, at 03:30 EDT (07:30 UTC), the instant 02:30 EST would be.
    assert runs(job, utc(2026, 3, 7, 12), 3) == [
        utc(2026, 3, 8, 7, 30),
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
        utc(2026, 3, 10, 6, 30),
    ]


def test_a_cron_time_the_clocks_skip_runs_once_helsinki():
    job = cron("30 3 * * *", HELSINKI)
    # 2026-03-29: 03:00 EET jumps to 04:00 EEST; 03:30 runs at 04:30 EEST.
    assert runs(job, utc(2026, 3, 28, 12), 2) == [
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ]


def test_a_cron_time_the_clocks_repeat_runs_once_at_its_first_occurrence():
    job = cron("30 1 * * *", NEW_YORK)
    # 2026-11-01: 01:00-02:00 happens twice (EDT, then EST). It runs at the
    # first 01:30 (EDT, 05:30 UTC) and not at the second (06:30 UTC).
    assert runs(job, utc(2026, 10, 31, 12), 3) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
        utc(2026, 11, 3, 6, 30),
    ]


def test_an_hourly_cron_job_runs_in_both_occurrences_of_a_repeated_hour():
    job = cron("30 * * * *", NEW_YORK)
    assert runs(job, utc(2026, 11, 1, 4), 4) == [
        utc(2026, 11, 1, 4, 30),  # 00:30 EDT
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT
        utc(2026, 11, 1, 6, 30),  # 01:30 EST
        utc(2026, 11, 1, 7, 30),  # 02:30 EST
    ]


def test_an_every_minute_cron_job_has_no_gap_at_spring_forward():
    job = cron("* * * * *", NEW_YORK)
    times = runs(job, utc(2026, 3, 8, 6, 58), 4)
    assert times == [utc(2026, 3, 8, 6, 59) + timedelta(minutes=i) for i in range(4)]


def test_after_downtime_a_cron_job_resumes_at_its_next_match():
    job = cron("*/15 * * * *")
    assert next_run(job, utc(2026, 5, 1, 13, 7)) == utc(2026, 5, 1, 13, 15)
    assert initial_next_run(job, utc(2026, 5, 1, 13, 15)) == utc(2026, 5, 1, 13, 15)


def test_a_cron_job_that_matches_no_date_is_never_due():
    # core.cron refuses "0 0 30 2 *"; with a day of week croniter looks on.
    assert next_run(cron("0 0 31 2 1"), utc(2026, 1, 1)) is not None
    with pytest.raises(ValueError, match="never run"):
        next_run(cron("0 0 30 2 *"), utc(2026, 1, 1))


def test_times_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        next_run(once(utc(2026, 1, 1)), datetime(2026, 1, 1))


# ---- words ---------------------------------------------------------------------------


def test_schedules_read_as_words():
    assert describe(once(utc(2025, 1, 1, 9))) == "Once, at 2025-01-01T09:00:00Z"
    assert (
        describe(recurring(utc(2026, 1, 1), 1800))
        == "Every 30 minutes, from 2026-01-01T00:00:00Z"
    )
    assert describe(cron("0 9 * * *", HELSINKI)) == "At 09:00 AM (Europe/Helsinki)"
    assert describe(cron("@hourly")) == "Every hour (UTC)"
    assert [every(s) for s in (60, 3600, 7200, 5400, 86400, 90)] == [
        "Every minute",
        "Every hour",
        "Every 2 hours",
        "Every 90 minutes",
        "Every day",
        "Every 90 seconds",
    ]
