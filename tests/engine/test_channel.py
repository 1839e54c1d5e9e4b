"""The private mini-racer hooks the host-call channel rests on (R6), pinned by test.

engine/context.py uses private parts of mini-racer: `_make_context` (an
isolate built off the event loop), `Context._register_js_notification` (a
JS function that reaches Python while the script is still running), and
`Context._python_to_value_handle` (code kept as one V8 string and evaluated
again and again) and the parts of mini-racer's task machinery that
`eval_handle` drives itself (`_dll.mr_eval`, its table of callbacks, its
callback ids, `_dll.mr_cancel_task`, the handle decoder).
It also starts V8 with --expose-gc and a 1 MB young generation. If an upgrade changes any of these,
these tests fail before anything else does.
"""

import asyncio
import struct

# Through engine.context: it stays the only importer of py_mini_racer (R1).
from engine.context import MiniRacer, _make_context, eval_handle, js_notification


def test_the_private_hooks_are_where_the_engine_expects_them():
    assert callable(_make_context)
    racer = MiniRacer()
    try:
        assert callable(racer._ctx._register_js_notification)
        assert callable(racer._ctx._python_to_value_handle)
        assert callable(racer._ctx._dll.mr_eval)
        assert callable(racer._ctx._dll.mr_cancel_task)
        assert callable(racer._ctx._value_handle_to_python)
        assert isinstance(racer._ctx._active_cancelable_mr_task_callbacks, dict)
        assert isinstance(next(racer._ctx._next_async_callback_id), int)
    finally:
        racer.close()


async def test_eval_handle_answers_and_leaves_no_callback_behind():
    racer = MiniRacer()
    try:
        racer.eval("var n = 0;")
        ctx = racer._ctx
        handle = ctx._python_to_value_handle("++n")
        answers = [await eval_handle(ctx, handle) for _ in range(3)]
        assert answers == [1, 2, 3]
        # Several at once answer in order, each to its own caller.
        assert await asyncio.gather(*(eval_handle(ctx, handle) for _ in range(5))) == [
            4,
            5,
            6,
            7,
            8,
        ]
        assert ctx._active_cancelable_mr_task_callbacks == {}
        del handle
    finally:
        racer.close()


async def test_eval_handle_stops_the_isolate_when_its_caller_stops_waiting():
    racer = MiniRacer()
    try:
        ctx = racer._ctx
        spin = ctx._python_to_value_handle("for (;;) {}")
        answer = ctx._python_to_value_handle("'still here'")
        try:
            async with asyncio.timeout(0.2):
                await eval_handle(ctx, spin)
        except TimeoutError:
            pass
        else:
            raise AssertionError("an endless loop answered")
        # The loop was cancelled in V8 (mr_cancel_task): the next call runs.
        async with asyncio.timeout(5):
            assert await eval_handle(ctx, answer) == "still here"
        assert ctx._active_cancelable_mr_task_callbacks == {}
        del spin, answer
    finally:
        racer.close()


def test_v8_runs_with_the_garbage_collector_exposed():
    racer = MiniRacer()
    try:
        assert racer.eval("typeof gc") == "function"
    finally:
        racer.close()


async def test_a_notification_reaches_python_while_the_script_still_runs():
    loop = asyncio.get_running_loop()
    racer = MiniRacer()
    try:
        buffer = racer.eval(
            "var sab = new SharedArrayBuffer(8); var flag = new Int32Array(sab); sab"
        )
        assert isinstance(buffer, memoryview) and len(buffer) == 8

        def answer(_handle):
            # Python writes into the script's memory without entering the isolate.
            struct.pack_into("<i", buffer, 4, 42)
            struct.pack_into("<i", buffer, 0, 1)

        with js_notification(racer, answer) as notify:
            racer.eval("var notify")
            racer.eval("(f) => { notify = f; }")(notify)
            waited = racer.eval_cancelable(
                "notify(0);"
                "while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 0.5);"
                "flag[1]"
            )
            assert await asyncio.wait_for(waited, 5) == 42
        assert loop.is_running()
    finally:
        racer.close()


async def test_a_script_waiting_for_python_can_be_cancelled_and_the_isolate_lives_on():
    racer = MiniRacer()
    try:
        racer.eval("var flag = new Int32Array(new SharedArrayBuffer(4));")
        waiting = racer.eval_cancelable(
            "while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0, 0.5); 1"
        )
        try:
            await asyncio.wait_for(waiting, 0.2)
        except TimeoutError:
            pass
        else:  # pragma: no cover - nothing sets the flag
            raise AssertionError("the wait ended by itself")
        assert await racer.eval_cancelable("1 + 1") == 2
    finally:
        racer.close()
