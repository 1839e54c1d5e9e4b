"""What a script runs and sends out stays inside its limits (issue 12, holes 3-5).

- Microtasks (promise reactions) run after an engine call has answered, outside
  it: an invocation is over only once they have run, within its time limit.
- What leaves the V8 context (the reply, a host call's arguments) is capped
  there, before the host copies it.
- The prelude's entry points (__sh.*) are on the global object but take a token
  only the host knows, and the host enforces the log caps on what comes back.
"""

from __future__ import annotations

import pytest

from engine import Engine, Limits
from engine.context import ScriptContext, _Channel
from tests.engine.harness import LOAD_LIMITS, Script, make_context

CAPS = {
    "maxLogs": 50,
    "maxLogChars": 100,
    "maxOutputChars": 200_000,
    "maxHostCallChars": 100_000,
}
LIMITS = Limits.of(1, 20)


@pytest.fixture(autouse=True)
def _fresh_platform_state():
    # No Django here: the engine alone (as tests/engine does).
    yield


@pytest.fixture
async def engine():
    built = Engine(8, load_limits=LOAD_LIMITS, config=CAPS)
    yield built
    await built.settle()
    built.clear()


def script_in(engine, source, name="s"):
    return Script(engine, source, name, 1)


async def loaded(source: str) -> ScriptContext:
    context = ScriptContext("escape.js", CAPS)
    outcome = await context.load(source, {"kind": "init"}, LOAD_LIMITS)
    assert outcome.error is None, outcome.error.as_dict()
    return context


# -- hole 3: microtasks are part of the invocation ----------------------------------

ENDLESS_REACTIONS = {
    # The probe's script, verbatim.
    "then chain": 'function go(c){ function f(){ Promise.resolve().then(f); } f(); return "x"; }',
    "async loop left running": (
        "function go(c) { (async () => { for (;;) await 0; })(); return 'x'; }"
    ),
    "from an async handler": (
        "async function go(c) { (async () => { for (;;) await 0; })(); return 'x'; }"
    ),
}


@pytest.mark.parametrize("source", ENDLESS_REACTIONS.values(), ids=ENDLESS_REACTIONS)
async def test_reactions_that_never_end_fail_the_invocation_and_stop(source):
    context = await loaded(source)
    outcome = await context.invoke("go", make_context(), LIMITS)

    assert outcome.value is None
    assert outcome.error is not None
    assert outcome.error.code == "timeout"
    # The isolate that ran them is gone: nothing spins on after the answer.
    assert context.closed


async def test_the_logs_of_an_invocation_whose_reactions_overran_are_kept():
    context = await loaded(
        "function go(c) { console.log('before'); (async () => { for (;;) await 0; })();"
        " return 'x'; }"
    )
    outcome = await context.invoke("go", make_context(), LIMITS)

    assert outcome.error.code == "timeout"
    assert [entry["message"] for entry in outcome.logs] == ["before"]


async def test_reactions_that_end_are_waited_for_and_the_context_stays(engine):
    s = script_in(
        engine,
        "var seen = 0;\n"
        "function go(c) { Promise.resolve().then(() => { seen += 1; })"
        ".then(() => { seen += 1; }); return 'x'; }\n"
        "function count(c) { return seen; }",
    )
    assert await s.value("go") == "x"
    # The reactions of the first call ran before the second started.
    assert await s.value("count") == 2
    assert s.loads == 1


async def test_the_next_request_gets_a_fresh_context_after_an_overrun(engine):
    s = script_in(
        engine, ENDLESS_REACTIONS["then chain"] + "\nfunction ok(c) { return 'ok'; }"
    )
    assert (await s.call("go", limits=LIMITS)).error.code == "timeout"
    assert await s.value("ok") == "ok"
    assert s.loads == 2


# -- hole 4: data leaving V8 is capped before the host copies it --------------------


async def test_a_reply_over_the_output_limit_is_an_error_with_the_logs(engine):
    s = script_in(
        engine, "function big(c) { console.log('made it'); return 'x'.repeat(300000); }"
    )
    outcome = await s.call("big")

    assert outcome.value is None
    assert outcome.error.code == "output_too_large"
    assert "over the limit" in outcome.error.message
    assert [entry["message"] for entry in outcome.logs] == ["made it"]


async def test_a_reply_under_the_output_limit_passes(engine):
    s = script_in(engine, "function big(c) { return 'x'.repeat(150000); }")
    assert len(await s.value("big")) == 150000


def test_the_host_refuses_host_call_arguments_over_the_limit_whatever_the_script_did():
    # The prelude refuses larger arguments; the host counts them again.
    import json
    import struct

    buffer = memoryview(bytearray(_Channel.HEADER + 2 * 64))
    answered = []
    channel = _Channel(buffer, {1: object()}, lambda inv, op: True, 100)
    channel._answer_with = answered.append
    request = json.dumps([1, "storage.get", ["x" * 200]]).encode("utf-16-le")
    for start in range(0, len(request), 128):
        chunk = request[start : start + 128]
        last = start + 128 >= len(request)
        buffer[_Channel.HEADER : _Channel.HEADER + len(chunk)] = chunk
        struct.pack_into("<4i", buffer, 0, 0, len(chunk) // 2, 0 if last else 1, 0)
        channel.notified(None)

    assert answered == [
        {
            "ok": False,
            "error": {
                "name": "RangeError",
                "message": "The host call's arguments are over the limit",
            },
        }
    ]


# -- hole 5: nothing a script can reach widens a limit ------------------------------

ENTRY_POINTS = {
    "configure": "__sh.configure(JSON.stringify({maxLogs: 1e9, maxLogChars: 1e12}))",
    "setup": "__sh.setup('0'.repeat(48), '00', JSON.stringify({maxLogs: 1e9}), 1e12)",
    "invoke": "__sh.invoke(JSON.stringify({id: 99, handler: 'h', memory: 1e12}))",
    "invoke with a guess": "__sh.invoke('x'.repeat(48), JSON.stringify({id: 99, handler: 'h'}))",
    "prepare": "__sh.prepare(1e12)",
    "collect": "__sh.collect(1)",
    "abort": "__sh.abort(1)",
    "fence": "__sh.fence(undefined, true)",
    "attach": "__sh.attach(function () {})",
}


@pytest.mark.parametrize("call", ENTRY_POINTS.values(), ids=ENTRY_POINTS)
async def test_a_script_cannot_use_the_hosts_entry_points(engine, call):
    s = script_in(
        engine,
        f"function h(c) {{ try {{ {call}; return 'reached'; }}"
        " catch (e) { return e.name + ': ' + e.message; } }",
    )
    answer = await s.value()
    assert answer != "reached"
    assert answer.startswith("TypeError")


async def test_the_probes_log_flood_stays_within_the_caps(engine):
    # Issue 12's probe: widen the caps, then log 20,001 rows and a huge one.
    s = script_in(
        engine,
        "function h(c) {\n"
        "  try { __sh.configure(JSON.stringify({maxLogs: 1e9, maxLogChars: 1e12})); }"
        " catch (e) {}\n"
        "  for (let i = 0; i < 20001; i++) console.log('row ' + i);\n"
        "  return 'done'; }\n"
        "function huge(c) { console.log('y'.repeat(100000)); return 'done'; }",
    )
    outcome = await s.call()
    assert outcome.error is None
    assert len(outcome.logs) == CAPS["maxLogs"]
    assert outcome.dropped_logs == 20001 - CAPS["maxLogs"]

    outcome = await s.call("huge")
    assert len(outcome.logs[0]["message"]) <= CAPS["maxLogChars"] + len(
        "... [truncated]"
    )


async def test_the_host_caps_logs_even_when_the_prelude_is_fooled(engine):
    # The prelude truncates with its own copy of String.prototype.slice; the
    # host truncates again whatever comes back.
    s = script_in(
        engine,
        "String.prototype.slice = function () { return String(this); };\n"
        "function h(c) { console.log('z'.repeat(5000)); return 'done'; }",
    )
    outcome = await s.call()
    assert outcome.error is None
    assert len(outcome.logs[0]["message"]) <= CAPS["maxLogChars"] + len(
        "... [truncated]"
    )


async def test_scripts_cannot_run_the_garbage_collector(engine):
    s = script_in(engine, "function h(c) { return typeof gc; }")
    assert await s.value() == "undefined"


async def test_a_script_may_still_define_its_own_gc(engine):
    s = script_in(
        engine, "function gc() { return 'mine'; }\nfunction h(c) { return gc(); }"
    )
    assert await s.value() == "mine"


SLOW_MODULE = """(function (g, api) {
  api.define("slowly", { wait: () => api.call("test.wait", []) });
})"""


async def test_a_fence_waits_for_another_invocations_slow_host_call_without_failing():
    # A answers, then B (queued on the same context before A's fence) blocks in
    # a host call for longer than A's whole time limit: A still succeeds, and
    # B, whose call ends in time, too. Only reactions that overrun fail.
    import asyncio

    from engine import Host

    released = asyncio.Event()

    async def wait():
        await released.wait()
        return "released"

    context = ScriptContext("fence.js", CAPS, (SLOW_MODULE,))
    outcome = await context.load(
        "function a(c) { return 'a'; }\nfunction b(c) { return slowly.wait(); }",
        {"kind": "init"},
        LOAD_LIMITS,
    )
    assert outcome.error is None
    first = asyncio.ensure_future(context.invoke("a", make_context(), Limits.of(1, 20)))
    second = asyncio.ensure_future(
        context.invoke(
            "b", make_context(), Limits.of(10, 20), Host({"test.wait": wait})
        )
    )
    await asyncio.sleep(2)  # well past A's limit and its fence's grace
    released.set()
    a, b = await asyncio.gather(first, second)

    assert (a.error, a.value) == (None, "a")
    assert (b.error, b.value) == (None, "released")
    assert not context.closed
    context.close()


async def test_a_host_answer_that_cannot_be_encoded_fails_the_call_instead_of_hanging():
    from engine import Host

    def deep():
        value = []
        for _ in range(100_000):
            value = [value]
        return value

    context = ScriptContext("deep.js", CAPS, (SLOW_MODULE,))
    outcome = await context.load(
        "function h(c) { try { slowly.wait(); return 'answered'; }"
        " catch (e) { return e.message; } }",
        {"kind": "init"},
        LOAD_LIMITS,
    )
    assert outcome.error is None
    outcome = await context.invoke(
        "h", make_context(), Limits.of(2, 20), Host({"test.wait": deep})
    )
    context.close()

    assert outcome.error is None
    assert outcome.value == "The host call failed on the server"
