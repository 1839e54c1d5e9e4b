"""An engine call's argument goes through the channel's inbox, not its code.

The host leaves a call's JSON in a free inbox slot and evaluates code that
names the slot (engine/context.py, _Channel.put and _call_code), so V8
compiles the same few code strings once instead of one per call. An argument
too long for a slot, or a call finding every slot taken, falls back to code
that carries the argument.
"""

import asyncio

import pytest

from engine import Engine, Limits
from tests.engine.harness import LOAD_LIMITS, Script, make_context

ECHO = """
function h(c) { return c.request.query.q; }
async function later(c) { await null; return c.request.query.q; }
"""


@pytest.fixture
async def engine():
    engine = Engine(4, load_limits=LOAD_LIMITS)
    yield engine
    engine.clear()


def _count_compiled_calls(ctx) -> list[str]:
    """Record the engine calls made with code V8 has to compile afresh."""
    seen: list[str] = []
    real = ctx._mr.eval_cancelable

    async def counting(code):
        seen.append(code)
        return await real(code)

    ctx._mr.eval_cancelable = counting
    return seen


async def test_calls_reuse_constant_code_and_get_their_own_arguments(engine):
    s = Script(engine, ECHO, "echo", 1)
    assert await s.value(request={"query": {"q": "warm"}}) == "warm"
    (ctx,) = engine.contexts(s.key)
    compiled = _count_compiled_calls(ctx)

    values = [
        await s.value(request={"query": {"q": f"é{i} ☃ \U0001f600"}}) for i in range(50)
    ]
    promised = [
        await s.value("later", request={"query": {"q": f"p{i}"}}) for i in range(5)
    ]

    assert values == [f"é{i} ☃ \U0001f600" for i in range(50)]
    assert promised == [f"p{i}" for i in range(5)]
    assert compiled == []  # every call went through the inbox


async def test_an_argument_too_long_for_a_slot_is_carried_in_the_code(engine):
    s = Script(engine, ECHO, "echo", 1)
    await s.value()
    (ctx,) = engine.contexts(s.key)
    compiled = _count_compiled_calls(ctx)
    long = "x" * (ctx._channel.INBOX_SLOT_BYTES + 1)

    assert await s.value(request={"query": {"q": long}}) == long
    assert len(compiled) == 1 and long in compiled[0]
    # The slots are all free again: the next short call uses one.
    assert await s.value(request={"query": {"q": "short"}}) == "short"
    assert len(compiled) == 1


async def test_more_calls_queued_than_slots_all_get_their_own_arguments(engine):
    s = Script(engine, ECHO, "echo", 1)
    for _ in range(5):  # short calls: the pool queues them on one context
        await s.value()
    (ctx,) = engine.contexts(s.key)
    compiled = _count_compiled_calls(ctx)
    n = 3 * ctx._channel.INBOX_SLOTS

    outcomes = await asyncio.gather(
        *(
            engine.invoke(
                s.key,
                "h",
                make_context({"query": {"q": str(i)}}),
                Limits.of(5, 20),
                s.load,
            )
            for i in range(n)
        )
    )

    assert [o.value for o in outcomes] == [str(i) for i in range(n)]
    assert engine.contexts(s.key) == [ctx]  # all queued on the one context
    assert 0 < len(compiled) < n  # past the free slots, code carried the rest


def _channel():
    from engine.context import _Channel

    buffer = memoryview(bytearray(_Channel.SIZE))
    return _Channel(buffer, {}, lambda inv, op: True, 1000)


def _free(channel, slot):
    """What the prelude does once it has read a slot (fromInbox)."""
    at = channel.INBOX_AT + 4 * slot
    channel.buffer[at : at + 4] = b"\0\0\0\0"


def test_an_idle_context_takes_slot_0_every_time():
    channel = _channel()
    for _ in range(5):
        assert channel.put(b'{"a":1}') == 0
        _free(channel, 0)


def test_under_load_the_slot_after_the_last_one_taken_is_used():
    channel = _channel()
    taken = [channel.put(b"x") for _ in range(10)]
    assert taken == list(range(10))
    # The isolate has run the first four (in order): they are free again, but
    # slot 0 is the only one put() looks at before the one it scanned to last.
    for slot in range(4):
        _free(channel, slot)
    assert channel.put(b"y") == 0  # slot 0 is free: an idle context's page
    assert channel.put(b"y") == 10  # then on after the last one taken
    # It wraps around to the free slots at the start when it reaches the end.
    for _ in range(11, channel.INBOX_SLOTS):
        channel.put(b"z")
    assert channel.put(b"w") == 1
    # And with every slot taken, there is none.
    while channel.put(b"v") is not None:
        pass
    assert all(
        int.from_bytes(channel.buffer[channel.INBOX_AT + 4 * s :][:4], "little")
        for s in range(channel.INBOX_SLOTS)
    )
