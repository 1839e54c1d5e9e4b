"""One long-lived event loop per process, in a thread of its own.

For work a process runs on after the request or message that started it (a
Celery task's post-processing scripts): R3 wants a mini-racer context made in
the loop that calls it, so every such run of a process shares this loop and
its warm contexts instead of a fresh asyncio.run per task. A forked child
(a Celery worker of the prefork pool) makes its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Awaitable, Callable

_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def loop() -> asyncio.AbstractEventLoop:
    """This process's background loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop[0] != os.getpid():
            running = asyncio.new_event_loop()
            threading.Thread(
                target=running.run_forever, name="scripthost-background", daemon=True
            ).start()
            _loop = (os.getpid(), running)
        return _loop[1]


def submit(make: Callable[[], Awaitable]) -> concurrent.futures.Future:
    """Run the coroutine make() in this process's background loop."""
    return asyncio.run_coroutine_threadsafe(_call(make), loop())


async def _call(make):
    return await make()
