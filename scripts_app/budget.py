"""The work one root invocation may cause: runs, host calls and time (a Budget).

A root invocation (an HTTP route, a resolver of /graphql, a stream
customizer, a scheduled job: any invocation no other one caused) gets a
Budget of its own in the runner (scripts_app.invocations.run). Every
invocation it causes, and every one those cause in turn (a listener of a
message it sent, a resolver of its executeGraphQL...), carries the same one.
The depth limit (SCRIPT_DISPATCH_MAX_DEPTH) bounds how deep such a tree
goes; the budget bounds how much it does in all:

- runs: at most SCRIPT_MAX_RUNS_PER_REQUEST caused runs (a listener run in
  the sender's context counts too), the root not included;
- host calls: at most SCRIPT_MAX_HOST_CALLS_PER_REQUEST across the tree, the
  root's own included (scripts_app.hosting counts them);
- time: caused work ends by the root's deadline, less a reserve that leaves
  the root time to answer: a caused run's time limit is cut to what is left,
  and nothing caused starts after it;
- end: when the root ends (answered, failed, timed out, cancelled), runs it
  caused that still run are cancelled, and nothing caused starts any more.

Each caused run also takes a slot of its tenant's cap (scripts_app.admission)
like any invocation, so a tree never runs more at once than the cap allows.
"""

from __future__ import annotations

import asyncio
import time

from core.conf import derived, scripts_setting
from engine import EngineError, Limits, Outcome

# Part of the root's time limit its caused work leaves to the root: a listener
# stopped for time hands its sender the statistics while the root can still
# use them for its answer, instead of both running out at the same instant.
RESERVE = 0.1


class BudgetSpent(EngineError):
    """The root invocation's budget had no room for this; it did not run."""

    code = "budget_spent"


@derived
def _sizes() -> tuple[int, int]:
    return (
        int(scripts_setting("MAX_RUNS_PER_REQUEST")),
        int(scripts_setting("MAX_HOST_CALLS_PER_REQUEST")),
    )


class Budget:
    """What a root invocation and all it causes may still do."""

    __slots__ = (
        "seconds",
        "deadline",
        "max_runs",
        "runs",
        "max_host_calls",
        "host_calls",
        "ended",
        "_running",
    )

    def __init__(self, seconds: float, max_runs: int, max_host_calls: int):
        self.seconds = seconds  # the root's time limit
        # Caused work ends by then (time.monotonic()).
        self.deadline = time.monotonic() + seconds * (1 - RESERVE)
        self.max_runs = max_runs
        self.runs = 0
        self.max_host_calls = max_host_calls
        self.host_calls = 0
        self.ended = False
        # Caused runs under way; made at the first (most roots cause none).
        self._running: set[asyncio.Task] | None = None

    @classmethod
    def for_root(cls, seconds: float) -> Budget:
        """The budget of a root invocation whose time limit is `seconds`."""
        runs, host_calls = _sizes()
        return cls(seconds, runs, host_calls)

    def spent(self) -> str | None:
        """Why no caused run may start now, or None when one may."""
        if self.ended:
            return "this request has ended"
        if time.monotonic() >= self.deadline:
            return (
                "this request is out of time: what it causes ends "
                f"{RESERVE:.0%} before its own limit of {self.seconds:g} s"
            )
        if self.runs >= self.max_runs:
            return (
                f"this request has already caused {self.max_runs} script runs, "
                "the most one request may (SCRIPT_MAX_RUNS_PER_REQUEST)"
            )
        return None

    def take_run(self) -> BudgetSpent | None:
        """Count one caused run; None if it may go ahead, else why not."""
        why = self.spent()
        if why is not None:
            return BudgetSpent(why[0].upper() + why[1:])
        self.runs += 1
        return None

    def take_host_call(self) -> str | None:
        """Count one host call; None if it may go ahead, else why not."""
        if self.host_calls >= self.max_host_calls:
            return (
                f"Host call refused: this request has made {self.max_host_calls} "
                "host calls across the scripts it ran, the most one request may "
                "(SCRIPT_MAX_HOST_CALLS_PER_REQUEST)"
            )
        self.host_calls += 1
        return None

    def limits(self, limits: Limits) -> Limits:
        """`limits`, with the time cut to what is left of the caused work's time."""
        left = self.deadline - time.monotonic()
        if left >= limits.seconds:
            return limits
        return Limits(max(left, 0.001), limits.memory_bytes)

    def timed_out(self, outcome: Outcome, limits: Limits) -> None:
        """Say so when a caused run was stopped by the time its budget left it."""
        error = outcome.error
        if error is None or error.code != "timeout":
            return
        error.message = (
            f"Script was stopped after {limits.seconds:.3g} s: the request that "
            f"caused it is out of time (what a request causes ends {RESERVE:.0%} "
            f"before its own limit of {self.seconds:g} s)"
        )

    # -- the runs under way, cancelled when the root ends ------------------------------

    def track(self, task: asyncio.Task | None) -> None:
        """Note the task of a caused run under way (cancelled if the root ends)."""
        if task is not None:
            if self._running is None:
                self._running = set()
            self._running.add(task)

    def untrack(self, task: asyncio.Task | None) -> None:
        if self._running is not None:
            self._running.discard(task)

    def end(self) -> None:
        """The root ended: start nothing more, and cancel caused runs still going."""
        self.ended = True
        running, self._running = self._running, None
        if not running:
            return
        current = asyncio.current_task()
        for task in running:
            if task is not current and not task.done():
                task.cancel()


def over_budget(outcome: Outcome) -> bool:
    """Was this caused invocation turned away by its budget (so nothing ran)?"""
    return isinstance(outcome.error, BudgetSpent)
