"""Helpers for the scheduler's end-to-end tests: jobs in, runs out.

Jobs are made as the scripts' side stores them (a Job row), through
`manage.py shell` against the installation's own database; what ran is read
back from that database with plain SQL (SQLite file or PostgreSQL), so a
test sees exactly what the servers and workers wrote.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime

MAKE_JOB = """
import json, sys
from datetime import datetime
from scheduler_app.models import Job
from scripts_app.models import Script
spec = json.loads({spec!r})
for key in ("run_at", "start_at", "next_run_at"):
    if spec.get(key):
        spec[key] = datetime.fromisoformat(spec[key])
script = Script.objects.get(tenant__slug="default", name=spec.pop("script"))
ids = []
for name in spec.pop("names"):
    ids.append(str(Job.objects.create(tenant=script.tenant, script=script, name=name, **spec).id))
print(json.dumps(ids))
"""


def make_jobs(database, script: str, names: list[str], **fields) -> list[str]:
    """Create jobs of `script` (in the default tenant); return their ids."""
    spec = {"script": script, "names": names, "handler": "run", **fields}
    for key, value in spec.items():
        if isinstance(value, datetime):
            spec[key] = value.isoformat()
    said = database.manage("shell", "-c", MAKE_JOB.format(spec=json.dumps(spec)))
    return json.loads(said.strip().splitlines()[-1])


def make_job(database, script: str, name: str, **fields) -> str:
    return make_jobs(database, script, [name], **fields)[0]


def _connect(database):
    if database.pg_name:
        import psycopg

        return psycopg.connect(
            database.env()["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        )
    return sqlite3.connect(database.var_dir / "db.sqlite3", timeout=30)


def query(database, sql: str, params=()) -> list[tuple]:
    if database.pg_name:
        sql = sql.replace("?", "%s")
    with closing(_connect(database)) as conn:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        conn.rollback()
        return rows


def disable(database, *job_ids: str) -> None:
    """Switch jobs off (a test's recurring jobs stop with it)."""
    for job_id in job_ids:
        sql_id = job_id if database.pg_name else job_id.replace("-", "")
        with closing(_connect(database)) as conn:
            conn.cursor().execute(
                "UPDATE scheduler_app_job SET enabled = ? WHERE id = ?".replace(
                    "?", "%s" if database.pg_name else "?"
                ),
                (False, sql_id),
            )
            conn.commit()


def _when(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def runs(database, job_id: str) -> list[dict]:
    """The job's execution records, oldest first."""
    rows = query(
        database,
        "SELECT id, status, started_at, duration_ms, result, error "
        "FROM scripts_app_execution WHERE ref = ? ORDER BY started_at",
        (f"job:{job_id}",),
    )
    return [
        {
            "id": str(r[0]),
            "status": r[1],
            "started_at": _when(r[2]),
            "duration_ms": r[3],
            "result": json.loads(r[4]) if r[4] else None,
            "error": r[5],
        }
        for r in rows
    ]


def job(database, job_id: str) -> dict:
    """The job's bookkeeping columns."""
    sql_id = job_id if database.pg_name else job_id.replace("-", "")
    [row] = query(
        database,
        "SELECT run_count, skip_count, last_status, running_execution, "
        "running_since, next_run_at FROM scheduler_app_job WHERE id = ?",
        (sql_id,),
    )
    keys = ("run_count", "skip_count", "last_status", "running_execution")
    found = dict(zip(keys, row[:4], strict=True))
    found["running_since"] = row[4] and _when(row[4])
    found["next_run_at"] = row[5] and _when(row[5])
    return found


def wait_for(fetch, accept, within: float, every: float = 0.25):
    """fetch() until accept(result) or `within` s pass; return the last result."""
    deadline = time.monotonic() + within
    while True:
        result = fetch()
        if accept(result) or time.monotonic() >= deadline:
            return result
        time.sleep(every)


def started_late(run: dict) -> float:
    """Seconds between a run's due time (its scheduledFor) and its start."""
    due = _when(run["result"]["schedule"]["scheduledFor"].replace("Z", ""))
    return (run["started_at"] - due).total_seconds()


def overlaps(done: list[dict]) -> list[tuple[str, str]]:
    """Pairs of finished runs (by start) whose times overlapped."""
    found = []
    for one, two in zip(done, done[1:], strict=False):
        ends = one["started_at"].timestamp() + one["duration_ms"] / 1000
        if ends > two["started_at"].timestamp():
            found.append((one["id"], two["id"]))
    return found
