"""An isolate's thread keeps one Python thread state while its context is open.

mini-racer calls back into Python from each isolate's own C++ thread. Python
would make and delete a thread state (and map and unmap its frame stack) for
every callback; engine.context._ThreadKeeper keeps one per isolate thread
instead, and lets it go when the context closes (the speed is in `make bench`).
These tests count the interpreter's thread states through its C API.
"""

import asyncio
import ctypes
import gc
import os
import threading
import weakref

from engine import context as engine_context
from engine.context import Limits, ScriptContext

_api = ctypes.pythonapi
_api.PyInterpreterState_Get.restype = ctypes.c_void_p
_api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
_api.PyInterpreterState_ThreadHead.argtypes = (ctypes.c_void_p,)
_api.PyThreadState_Next.restype = ctypes.c_void_p
_api.PyThreadState_Next.argtypes = (ctypes.c_void_p,)

LIMITS = Limits.of(5, 64)
SOURCE = "function f(c) { return 1; }\nfunction spin(c) { for (;;) {} }"


def thread_states() -> int:
    """Thread states of threads Python did not start (the isolates' threads)."""
    count = 0
    state = _api.PyInterpreterState_ThreadHead(_api.PyInterpreterState_Get())
    while state:
        count += 1
        state = _api.PyThreadState_Next(state)
    return count - threading.active_count()


async def built() -> ScriptContext:
    context = ScriptContext("states.js", None, ())
    outcome = await context.load(SOURCE, {"kind": "init"}, LIMITS)
    assert outcome.error is None
    return context


async def settles_at(expected: int) -> int:
    """The count once it reaches `expected` (closes finish in a thread), or
    whatever it is after 5 s."""
    for _ in range(100):
        if thread_states() == expected:
            break
        await asyncio.sleep(0.05)
    return thread_states()


async def test_each_open_context_keeps_one_and_a_closed_one_lets_go():
    # One context first: the threads that build and free isolates exist now.
    first = await built()
    first.close()
    await asyncio.sleep(0.2)
    before = thread_states()

    contexts = [await built() for _ in range(5)]
    for context in contexts:
        assert (await context.invoke("f", {}, LIMITS)).value == 1
    assert thread_states() == before + 5

    for context in contexts:
        context.close()
    assert await settles_at(before) == before


async def test_a_context_stopped_for_time_lets_go_too():
    first = await built()
    first.close()
    await asyncio.sleep(0.2)
    before = thread_states()

    context = await built()
    assert thread_states() == before + 1
    outcome = await context.invoke("spin", {}, Limits.of(0.2, 64))
    assert outcome.error.code == "timeout"
    assert context.closed
    assert await settles_at(before) == before


async def test_a_closed_context_is_freed_without_a_garbage_collection():
    # The keeper stands in for a method of mini-racer's Context and so is held
    # by it: it must not hold the Context in turn (a cycle would keep every
    # closed one until the next collection; under churn that was 50 MB more).
    gc.disable()
    try:
        context = await built()
        assert (await context.invoke("f", {}, LIMITS)).value == 1
        mr_context = weakref.ref(context._mr._ctx)
        context.close()
        del context
        for _ in range(100):  # freed in a thread, once its thread let go
            if mr_context() is None:
                break
            await asyncio.sleep(0.02)
        assert mr_context() is None
    finally:
        gc.enable()


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


async def test_an_isolate_dropped_on_an_isolate_thread_is_freed_by_the_closer(
    monkeypatch,
):
    # A garbage collection in a callback on an isolate's thread may drop the
    # last reference to a MiniRacer: freeing it there would wait for an
    # isolate's thread (its own, maybe) while blocking one, so the closer
    # thread frees it instead and the drop returns at once.
    first = await built()
    first.close()
    await asyncio.sleep(0.2)
    before = os_threads()
    isolate = await engine_context._new_isolate()
    assert os_threads() == before + 1  # the isolate's own thread
    handed = []
    real_free = engine_context._CLOSER.free

    def free(mr, keeper=None):
        handed.append(type(mr).__name__)
        real_free(mr, keeper)

    monkeypatch.setattr(engine_context._CLOSER, "free", free)
    engine_context._ISOLATE_THREADS.add(threading.get_ident())
    try:
        del isolate  # as if on an isolate's thread: handed to the closer
    finally:
        engine_context._ISOLATE_THREADS.discard(threading.get_ident())
    assert handed == ["_Isolate"]
    for _ in range(100):
        if os_threads() == before:
            break
        await asyncio.sleep(0.02)
    assert os_threads() == before
