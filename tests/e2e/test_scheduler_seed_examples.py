"""The seeds' scheduling examples, verbatim, fire through the whole path.

A real `manage.py serve` with its in-process ticker (the embedded default; on
the scaled stack switched on with SCRIPT_SCHEDULER_IN_PROCESS, Celery's own
workers and beat are tests/e2e/test_scheduler_celery.py's). The scripts are
uploaded through /system/scripts, made privileged as an administrator would
(the seed: only privileged scripts schedule), and uploaded again.
"""

import pytest

from tests.conformance.seeds import fixture
from tests.e2e.conftest import launch
from tests.e2e.scheduling import disable, query, wait_for
from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

PRIVILEGE = (
    "from scripts_app.models import Script; "
    "Script.objects.filter(name={name!r}).update(privileged=True)"
)


def jobs_of(database, script: str) -> dict[str, str]:
    rows = query(
        database,
        "SELECT j.name, j.id FROM scheduler_app_job j JOIN scripts_app_script s "
        "ON s.id = j.script_id WHERE s.name = ?",
        (script,),
    )
    return {name: str(job_id) for name, job_id in rows}


def runs_of(database, job_id: str) -> list[tuple]:
    if not database.pg_name:
        job_id = str(job_id)
        if "-" not in job_id:
            job_id = f"{job_id[:8]}-{job_id[8:12]}-{job_id[12:16]}-{job_id[16:20]}-{job_id[20:]}"
    return query(
        database,
        "SELECT status, result, triggered_by FROM scripts_app_execution "
        "WHERE ref = ? ORDER BY started_at",
        (f"job:{job_id}",),
    )


def logs_of(database, script: str) -> list[str]:
    return [
        m
        for (m,) in query(
            database,
            "SELECT message FROM scripts_app_logentry WHERE script_name = ? ORDER BY time",
            (script,),
        )
    ]


@pytest.fixture(scope="module")
def served(installation):
    with launch(installation, SCRIPT_SCHEDULER_IN_PROCESS=1) as server:
        yield server, installation


def test_the_aiwebengine_complete_example_runs_its_one_off_once(served):
    server, database = served
    source = fixture("aiwebengine", "scheduler_complete_example")
    assert put_script(server, "seed-digest", source).status_code == 201
    database.manage("shell", "-c", PRIVILEGE.format(name="seed-digest"))
    assert put_script(server, "seed-digest", source).status_code == 200
    jobs = jobs_of(database, "seed-digest")
    assert set(jobs) == {"digest-onboarding", "digest-heartbeat"}
    try:
        # runAt 2025-01-01T09:00:00Z is past: it runs once, as soon as it can.
        done = wait_for(
            lambda: runs_of(database, jobs["digest-onboarding"]),
            lambda r: len(r) >= 1,
            within=30,
        )
        wait_for(lambda: None, lambda _: False, within=3)  # room for a wrong second run
        done = runs_of(database, jobs["digest-onboarding"])
    finally:
        disable(database, *jobs.values())

    assert [(status, by) for status, _result, by in done] == [("ok", "cron")]
    said = wait_for(
        lambda: logs_of(database, "seed-digest"),
        lambda logs: any("Digest job digest-onboarding running @" in m for m in logs),
        within=10,
    )
    assert any("Digest job digest-onboarding running @ 20" in m for m in said), said
    # The recurring job waits for its first interval (30 minutes): no run yet.
    assert runs_of(database, jobs["digest-heartbeat"]) == []
