"""Row 12: 1,000 jobs of 100 scripts, all due at one moment, on two Celery workers.

The scaled stack (issue 14): a fresh PostgreSQL database beside
DATABASE_URL's (else the local default port), Redis as the broker (REDIS_URL,
else the local default port) on a queue of its own, two `celery worker
--pool solo` processes and one `celery beat` (DatabaseScheduler). SCRIPTS
scripts (`bench-job-<i>`, each with a handler that returns its
context.meta.schedule) get JOBS one-off jobs between them, made disabled;
once the workers and beat are up, one UPDATE makes them all due at the same
moment, a few seconds ahead: the worst case of "all due in the same minute"
(every one at the minute's first second, as `* * * * *` would).

Two rounds on the same workers: the first with cold contexts (each worker
builds each script's on its first run), then the same jobs made due again
(warm contexts, as a job due every minute finds them). Each reports whether
every job ran exactly once (one execution record, status ok, run_count 1:
`errors` counts the jobs that did not), the lateness of the runs (start
minus due time: p50 and p99), throughput (runs per second from the due time
to the last run's end) and the machine's load average.

Usage alone (the row's own fresh installation; needs PostgreSQL and Redis):

    python -m bench.scheduler [--jobs 1000] [--scripts 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

from bench import servers
from bench.load import settle_machine, tree_cpu_seconds
from bench.sse import percentile

JOBS, SCRIPTS, WORKERS = 1000, 100, 2
LEAD_SECONDS = 5.0  # from making the jobs due to their due time
WAIT_SECONDS = 180.0  # longest wait for every job to have run
SOURCE = """
function run(context) {
  return { job: context.meta.schedule.name, at: context.meta.schedule.scheduledFor };
}
"""


def seed(scripts: int, jobs: int) -> None:
    """(In the installation's environment) upload the scripts, make the jobs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from core.conf import scripts_setting
    from scheduler_app.models import Job
    from scripts_app.services import save_script
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=scripts_setting("DEFAULT_TENANT"))
    made = [
        save_script(tenant, f"bench-job-{i}", SOURCE).script for i in range(scripts)
    ]
    Job.objects.bulk_create(
        Job(
            tenant=tenant,
            script=made[i % scripts],
            name=f"job-{i}",
            handler="run",
            type="one-off",
            enabled=False,
        )
        for i in range(jobs)
    )


def _celery(name: str, env: dict, *args: str) -> servers.Server:
    command = [servers.PY, "-m", "celery", "-A", "config", *args]
    return servers.Server(name, command, env, 0, "")


def _wait_logged(server: servers.Server, text: str, timeout: float = 60) -> None:
    path = Path(server.log.name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {path}")
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not log {text!r} in {timeout} s; see {path}")


def _pg(url: str):
    import psycopg

    return psycopg.connect(
        url.replace("postgres://", "postgresql://", 1), autocommit=True
    )


def _measure(url: str, jobs: int, pids=()) -> dict:
    """Make every job due LEAD_SECONDS ahead; wait for them; return the figures.

    Once the machine is idle: the burst's lateness is the time it takes on
    the machine's cores, which what earlier rows leave running would share.
    """
    settled = settle_machine()
    cpu_before = tree_cpu_seconds(pids)
    with _pg(url) as conn:
        due = conn.execute("SELECT now()").fetchone()[0] + timedelta(
            seconds=LEAD_SECONDS
        )
        conn.execute(
            "UPDATE scheduler_app_job SET enabled = true, run_at = %s, "
            "next_run_at = %s, run_count = 0, last_status = ''",
            (due, due),
        )
        deadline = time.monotonic() + LEAD_SECONDS + WAIT_SECONDS
        while time.monotonic() < deadline:
            pending = conn.execute(
                "SELECT count(*) FROM scheduler_app_job WHERE last_status = '' "
                "OR running_execution IS NOT NULL"
            ).fetchone()[0]
            if not pending:
                break
            time.sleep(0.5)
        rows = conn.execute(
            "SELECT ref, status, started_at, duration_ms FROM scripts_app_execution "
            "WHERE kind = 'scheduled' AND started_at >= %s",
            (due,),
        ).fetchall()
        counts = conn.execute(
            "SELECT count(*) FILTER (WHERE run_count = 1 AND last_status = 'ok') "
            "FROM scheduler_app_job"
        ).fetchone()[0]
    by_job: dict[str, list] = {}
    for ref, status, started, duration in rows:
        by_job.setdefault(ref, []).append((status, started, duration))
    once = sum(1 for found in by_job.values() if [s for s, _, _ in found] == ["ok"])
    ok = [
        (started, duration)
        for found in by_job.values()
        for s, started, duration in found
        if s == "ok"
    ]
    late_ms = [(started - due).total_seconds() * 1000 for started, _ in ok]
    ends = [started + timedelta(milliseconds=duration) for started, duration in ok]
    span = (max(ends) - due).total_seconds() if ends else 0.0
    statuses: dict[str, int] = {}
    for found in by_job.values():
        for status, _, _ in found:
            statuses[status] = statuses.get(status, 0) + 1
    return {
        "jobs": jobs,
        "ran_once": min(once, counts),
        "records": len(rows),
        "statuses": statuses,
        "errors": jobs - min(once, counts),
        "p50_ms": percentile(late_ms, 0.50) if late_ms else None,
        "p99_ms": percentile(late_ms, 0.99) if late_ms else None,
        "max_ms": max(late_ms) if late_ms else None,
        "rps": len(ok) / span if span > 0 else 0.0,
        "span_s": span,
        "due": due.astimezone(UTC).isoformat(),
        "load_average": os.getloadavg()[0],
        "settled": settled,
        # CPU the workers and beat spent on the round, per run: what the
        # machine's load does not change much.
        "cpu_ms_per_run": (tree_cpu_seconds(pids) - cpu_before) * 1000 / len(ok)
        if ok
        else None,
    }


def _say(what: str, r: dict) -> None:
    print(
        f"  {what}: {r['ran_once']:,}/{r['jobs']:,} ran exactly once; lateness p50 "
        f"{r['p50_ms'] or 0:.0f} ms, p99 {r['p99_ms'] or 0:.0f} ms; {r['rps']:.0f} "
        f"runs/s; {r['cpu_ms_per_run'] or 0:.1f} ms of worker CPU per run; load "
        f"average {r['load_average']:.1f}",
        flush=True,
    )


def run(
    jobs: int = JOBS, scripts: int = SCRIPTS, workers: int = WORKERS, var_dir=None
) -> dict | None:
    """The row on a fresh scaled installation; None when no scaled stack is at hand."""
    urls = servers.scaled_urls()
    if urls is None or not urls[1]:
        print("scheduler: needs PostgreSQL and Redis (configured or local); skipped")
        return None
    var_dir = Path(var_dir or tempfile.mkdtemp(prefix="bench-sched-"))
    (var_dir / "scheduler").mkdir(parents=True, exist_ok=True)
    database = servers.ScaledDatabase(*urls)
    env = {
        **database.env(var_dir / "scheduler", 256),
        "SCRIPTHOST_CELERY_QUEUE": f"bench-{os.urandom(4).hex()}",
        "LOG_LEVEL": "INFO",
    }
    print(
        f"scheduler: {jobs:,} jobs of {scripts} scripts due at once, {workers} "
        "Celery workers (solo pool) and a beat, scaled stack",
        flush=True,
    )
    running: list[servers.Server] = []
    try:
        database.create(env)
        done = subprocess.run(
            [servers.PY, "-m", "bench.scheduler", "--seed", str(scripts), str(jobs)],
            cwd=servers.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"seeding the jobs failed:\n{done.stderr}")
        for i in range(workers):
            running.append(
                _celery(
                    f"worker-{i + 1}",
                    env,
                    *("worker", "--pool", "solo", "-n", f"bench-{i + 1}@%h"),
                    *("-l", "info", "--without-gossip", "--without-mingle"),
                )
            )
        running.append(
            _celery("beat", env, "beat", "-l", "info", "--max-interval", "1")
        )
        for server in running[:workers]:
            _wait_logged(server, "ready.")
        _wait_logged(running[-1], "beat: Starting")
        time.sleep(2)  # beat's first ticks out of the way
        pids = [server.pid for server in running]
        cold = _measure(database.url, jobs, pids)
        _say("cold contexts", cold)
        time.sleep(2)
        warm = _measure(database.url, jobs, pids)
        _say("warm contexts (the same jobs again)", warm)
        return {"scripts": scripts, "workers": workers, "cold": cold, "warm": warm}
    finally:
        for server in running:
            server.stop()
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--scripts", type=int, default=SCRIPTS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--seed", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed(*args.seed)
        return
    result = run(args.jobs, args.scripts, args.workers)
    if result is None:
        sys.exit(1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
