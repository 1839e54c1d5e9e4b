"""The embedded stack's scheduler: due jobs run in the serving process.

`make run` starts one process and no broker (RUNTIME.md, "Two stacks"), so
each serving process ticks by itself (the ASGI lifespan starts `serve`:
core.plugins.ScriptPlugin.serving_task) and runs the runs it claims in its
own event loop, where its warm contexts live (R3), SCHEDULER_CONCURRENCY at
a time. It is the same code a Celery worker runs (scheduler_app.runner); with
several serving processes each due run is still claimed by one of them. On
the scaled stack (REDIS_URL set) beat and the Celery workers do this instead,
unless SCRIPT_SCHEDULER_IN_PROCESS says otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Min

from core.conf import scripts_setting
from scheduler_app import runner

log = logging.getLogger(__name__)

# The shortest wait between ticks, however soon the next job is due.
MIN_WAIT_SECONDS = 0.05
# Claimed runs started together (as a Celery message carries them).
RUNS_TOGETHER = 20
# What shutdown waits for the runs going on before it stops them (they are
# then recorded lost by the next tick of any process).
SHUTDOWN_WAIT_SECONDS = 5.0


def in_process() -> bool:
    """Does this serving process run due jobs?"""
    configured = scripts_setting("SCHEDULER_IN_PROCESS")
    return (not settings.REDIS_URL) if configured is None else bool(configured)


async def serve() -> None:
    """Tick and run due jobs until cancelled (the serving process's lifetime)."""
    if not in_process():
        return
    concurrency = scripts_setting("SCHEDULER_CONCURRENCY")
    slots = asyncio.Semaphore(concurrency)
    together_at_most = min(RUNS_TOGETHER, concurrency)
    going: set[asyncio.Task] = set()
    try:
        while True:
            try:
                runs, wait = await sync_to_async(_tick)()
            except Exception:
                log.exception("The scheduler's tick failed; trying again")
                runs, wait = [], scripts_setting("SCHEDULER_TICK_SECONDS")
            for start in range(0, len(runs), together_at_most):
                together = runs[start : start + together_at_most]
                for _ in together:
                    await slots.acquire()
                task = asyncio.create_task(_run(together, slots))
                going.add(task)
                task.add_done_callback(going.discard)
            await asyncio.sleep(wait)
    finally:
        if going:
            done, pending = await asyncio.wait(going, timeout=SHUTDOWN_WAIT_SECONDS)
            for task in pending:
                task.cancel()


def _tick() -> tuple[list[runner.Run], float]:
    """Claim the due runs; say how long to wait before the next tick."""
    from scheduler_app.models import Job

    close_old_connections()
    runs = runner.claim_due()
    most = scripts_setting("SCHEDULER_TICK_SECONDS")
    soonest = Job.objects.filter(enabled=True).aggregate(at=Min("next_run_at"))["at"]
    if soonest is None:
        return runs, most
    until = (soonest - datetime.now(UTC)).total_seconds()
    return runs, max(MIN_WAIT_SECONDS, min(most, until))


async def _run(runs: list[runner.Run], slots: asyncio.Semaphore) -> None:
    released = 0

    def release():
        nonlocal released
        released += 1
        slots.release()

    try:
        await runner.run_jobs(runs, release)
    except Exception:  # unstarted runs are settled as lost by a later tick
        log.exception("Starting %d scheduled runs failed", len(runs))
    finally:
        for _ in range(len(runs) - released):
            slots.release()
