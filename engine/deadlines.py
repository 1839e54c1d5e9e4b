"""Time limits for engine calls: one timer per 10 ms of deadlines, not one per call.

Every engine call runs under its invocation's time limit. `asyncio.timeout`
arms a timer of its own per call, and a busy worker makes thousands of calls
a second: measured in one process (`python -m bench.inproc`), those timers
cost a fifth of the engine's Python time per request. Here deadlines are
rounded up to the next GRAIN (10 ms) and share that slot's one timer, armed
when the slot gets its first call and cancelled when its last call is over.
A call may so run up to GRAIN past its limit before it is stopped.

`within(delay)` is a drop-in for `asyncio.timeout(delay)` as a plain
context manager: past the deadline it cancels the task, and turns that
cancellation into TimeoutError on the way out (unless the task was also
cancelled for another reason, which then goes on as a CancelledError).
"""

from __future__ import annotations

import asyncio
import math
import weakref

GRAIN = 0.01  # s: deadlines in the same slot share one timer


class _Slot:
    __slots__ = ("handle", "waiting")

    def __init__(self):
        self.handle: asyncio.TimerHandle | None = None
        self.waiting: set[within] = set()


class _Timers:
    """The slots of one event loop, by deadline in units of GRAIN."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.slots: dict[int, _Slot] = {}

    def enter(self, entry: within, when: float) -> int:
        key = math.ceil(when / GRAIN)
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = _Slot()
            slot.handle = self.loop.call_at(key * GRAIN, self._fire, key)
        slot.waiting.add(entry)
        return key

    def leave(self, entry: within, key: int) -> None:
        slot = self.slots.get(key)
        if slot is None:
            return  # it fired
        slot.waiting.discard(entry)
        if not slot.waiting:
            del self.slots[key]
            slot.handle.cancel()

    def _fire(self, key: int) -> None:
        slot = self.slots.pop(key, None)
        if slot is None:
            return
        for entry in slot.waiting:
            entry.expired = True
            entry.task.cancel()


_timers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class within:  # noqa: N801 - used as a function, like asyncio.timeout
    """Cancel the current task `delay` s from now (within GRAIN); see the module."""

    __slots__ = ("delay", "expired", "key", "task", "timers", "_cancelling")

    def __init__(self, delay: float):
        self.delay = delay
        self.expired = False

    def __enter__(self) -> within:
        loop = asyncio.get_running_loop()
        timers = _timers.get(loop)
        if timers is None:
            timers = _timers[loop] = _Timers(loop)
        self.timers = timers
        self.task = asyncio.current_task()
        self._cancelling = self.task.cancelling()
        self.key = timers.enter(self, loop.time() + self.delay)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.timers.leave(self, self.key)
        # As asyncio.timeout: our cancellation is withdrawn whatever happened;
        # it becomes the TimeoutError only if nothing else cancelled the task.
        if self.expired and (
            self.task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc
