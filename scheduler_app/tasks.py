"""The Celery tasks of the scaled stack: beat's tick, and the runs it hands out.

`scheduler.tick` (sent by beat every second: scheduler_app.beat) claims the
due runs, and those due within SCHEDULER_LOOKAHEAD_SECONDS
(scheduler_app.runner.claim_batches), and sends them on in messages of
RUNS_PER_MESSAGE; `scheduler.run_jobs` starts each with runner.run_job (a
run claimed ahead when it is due).

R3: a mini-racer context must be made in the event loop that calls it. So
every run of a worker process runs in the process's one long-lived event
loop, in a thread of its own (core.background, which post-processing
scripts share), rather than a fresh `asyncio.run` per task: its warm
contexts serve the next runs. A run_jobs
task hands its runs to that loop and returns once they have a slot
(SCHEDULER_CONCURRENCY per process), so the worker goes on taking ticks and
messages while long runs go on; it blocks while the process is full, so a
busy worker leaves the next message to an idle one. A worker shutting down
warmly waits for its runs (up to their time limit); one killed loses them,
and the next tick records them as lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown

from core import background
from core.conf import scripts_setting
from scheduler_app import runner

log = logging.getLogger(__name__)

# Runs per run_jobs message: few enough that a burst spreads over the workers,
# enough that a thousand due runs are not a thousand messages.
RUNS_PER_MESSAGE = 20


@shared_task(name="scheduler.tick", ignore_result=True)
def tick() -> int:
    """Claim every due run and send the claimed runs to the workers."""
    sent = 0
    ahead = scripts_setting("SCHEDULER_LOOKAHEAD_SECONDS")
    for batch in runner.claim_batches(ahead=ahead):
        for start in range(0, len(batch), RUNS_PER_MESSAGE):
            run_jobs.delay(
                [list(run) for run in batch[start : start + RUNS_PER_MESSAGE]]
            )
        sent += len(batch)
    return sent


@shared_task(name="scheduler.run_jobs", ignore_result=True)
def run_jobs(runs: list) -> None:
    """Start claimed runs (Run fields each) in this process's job loop."""
    job_loop().submit([runner.Run(*run) for run in runs])


class JobLoop:
    """Job runs of one process, in its background loop, SCHEDULER_CONCURRENCY at once."""

    def __init__(self, concurrency: int):
        self.concurrency = concurrency
        self.slots = threading.BoundedSemaphore(concurrency)
        self.going: set[concurrent.futures.Future] = set()
        # The process's one background loop (core.background), shared with
        # post-processing scripts: their warm contexts serve each other.
        self.loop = background.loop()

    def submit(self, runs: list[runner.Run]) -> None:
        """Run them in the loop, a slot each (blocks until the slots are free)."""
        for start in range(0, len(runs), self.concurrency):
            together = runs[start : start + self.concurrency]
            for _ in together:
                self.slots.acquire()
            going = asyncio.run_coroutine_threadsafe(self._run(together), self.loop)
            self.going.add(going)
            going.add_done_callback(self.going.discard)

    async def _run(self, runs) -> None:
        released = 0

        def release():
            nonlocal released
            released += 1
            self.slots.release()

        try:
            await runner.run_jobs(runs, release)
        except Exception:  # unstarted runs are settled as lost by a later tick
            log.exception("Starting %d scheduled runs failed", len(runs))
        finally:
            for _ in range(len(runs) - released):
                self.slots.release()

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` s for the runs going on (and their records)."""
        _, pending = concurrent.futures.wait(list(self.going), timeout)
        return not pending


_loops: dict[int, JobLoop] = {}
_loops_lock = threading.Lock()


def job_loop() -> JobLoop:
    """This process's JobLoop, made on first use (after a prefork pool's fork)."""
    pid = os.getpid()
    with _loops_lock:
        found = _loops.get(pid)
        if found is None:
            found = _loops[pid] = JobLoop(scripts_setting("SCHEDULER_CONCURRENCY"))
        return found


@worker_shutdown.connect
@worker_process_shutdown.connect
def _drain_at_shutdown(**kwargs) -> None:
    found = _loops.get(os.getpid())
    if found is not None:
        from scripts_app.invocations import limits

        if not found.drain(limits(runner.KIND).seconds + 5):
            log.warning("Scheduled runs still going at shutdown will be recorded lost")
