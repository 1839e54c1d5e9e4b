"""The private mini-racer hooks the host-call channel rests on (R6), pinned by test.

engine/context.py uses two private parts of mini-racer: `_make_context` (an
isolate built off the event loop) and `Context._register_js_notification` (a
JS function that reaches Python while the script is still running). If an
upgrade changes either, these tests fail before anything else does.
"""

import asyncio
import struct

# Through engine.context: it stays the only importer of py_mini_racer (R1).
from engine.context import MiniRacer, _make_context, js_notification


def test_the_private_hooks_are_where_the_engine_expects_them():
    assert callable(_make_context)
    racer = MiniRacer()
    try:
        assert callable(racer._ctx._register_js_notification)
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
