"""Scripts run below the server's own threads (Engine(nice=...), SCRIPT_VM_NICE).

V8 runs each isolate on a thread of its own; the engine makes those threads
at a lower CPU priority (Linux nice), so busy scripts cannot starve the event
loop that accepts, refuses (R9's 429s) and answers other requests. Linux only:
nice is per thread there, and CI runs on Linux.
"""

import asyncio
import os
import sys
import threading
from pathlib import Path

import pytest

from engine import Engine
from tests.engine.harness import LOAD_LIMITS, Script

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread nice is Linux's"
)

BUSY = """
function spin(c) { const end = Date.now() + 1500; while (Date.now() < end) {} return "done"; }
"""


def threads() -> dict[int, tuple[int, int]]:
    """{thread id: (CPU ticks used, nice)} of this process's threads."""
    found = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        # Fields 14-15 (utime, stime) and 19 (nice), counted from 1; the
        # split starts at field 3.
        found[int(task.name)] = (int(fields[11]) + int(fields[12]), int(fields[16]))
    return found


async def busiest_thread_during(call) -> tuple[int, int]:
    """Run `call`; return (thread id, nice) of the thread that worked most."""
    task = asyncio.ensure_future(call)
    await asyncio.sleep(0.3)  # built and spinning by now
    before = threads()
    await asyncio.sleep(0.6)
    after = threads()
    assert (await task).value == "done"
    used = {tid: after[tid][0] - before[tid][0] for tid in after.keys() & before.keys()}
    tid = max(used, key=used.get)
    assert used[tid] > 0, "no thread did any work"
    return tid, after[tid][1]


async def test_a_scripts_isolate_thread_runs_at_the_engines_nice():
    engine = Engine(4, load_limits=LOAD_LIMITS, nice=15)
    try:
        script = Script(engine, BUSY, "busy", 1)
        tid, nice = await busiest_thread_during(script.call("spin"))
    finally:
        await engine.settle()
        engine.clear()

    assert tid != threading.get_native_id()  # V8's thread, not the event loop's
    assert nice >= 15
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0


def test_nice_outside_0_to_19_is_refused():
    with pytest.raises(ValueError, match="between 0 and 19"):
        Engine(4, load_limits=LOAD_LIMITS, nice=20)
