"""`context` is a global during every invocation (IOTA), unless the script has its own."""

import asyncio

from engine import Engine, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, make_context
from tests.engine.test_pool_interleaving import MODULE, Gate


async def test_a_handler_reads_the_global_context_of_its_own_invocation(script):
    s = script(
        "function h(req) {\n"
        "  return {tenant: context.tenant.name, who: context.request.query.who,\n"
        "          same: context === req};\n"
        "}"
    )
    assert await s.value("h", {"query": {"who": "ann"}}) == {
        "tenant": "Acme",
        "who": "ann",
        "same": True,
    }
    assert (await s.value("h", {"query": {"who": "bob"}}))["who"] == "bob"


async def test_the_global_context_is_there_after_an_await(script):
    s = script(
        "async function h() {\n"
        "  await null;\n"
        "  await Promise.resolve(1);\n"
        "  return context.request.query.who;\n"
        "}"
    )
    assert await s.value("h", {"query": {"who": "cy"}}) == "cy"


async def test_init_sees_its_context_and_the_top_level_sees_null(engine):
    source = (
        "console.log('top ' + context);\n"
        "function init(c) { console.log('init ' + (context === c) + ' ' + context.kind); }"
    )
    outcome = await engine.analyze(ScriptSource(source, "load.js", {"kind": "init"}))
    assert [e["message"] for e in outcome.logs] == ["top null", "init true init"]


OWN_CONTEXTS = {
    "top-level let": "let context = 'mine';\nfunction h(c) { return context; }",
    "top-level const": "const context = 'mine';\nfunction h(c) { return context; }",
    "top-level var": "var context = 'mine';\nfunction h(c) { return context; }",
    "assignment in a handler": "function h(c) { context = 'mine'; return context; }",
    "top-level function": "function context() { return 'mine'; }\n"
    "function h(c) { return context(); }",
    "parameter": "function h(context) { return context === 'mine' ? 'no' : 'mine'; }",
    "local variable": "function h(c) { const context = 'mine'; return context; }",
}


async def test_a_scripts_own_context_wins(script):
    for label, source in OWN_CONTEXTS.items():
        s = script(source)
        assert await s.value() == "mine", label
        assert await s.value() == "mine", f"{label}, second call"


async def test_the_iota_context_shape_declared_by_a_script_is_its_own(script):
    # The seed's "Context Object" block, verbatim (IOTA: API Surface), then a handler.
    source = """const context = {
tenant: { id: "uuid", name: "Tenant Name" },
user: { id: "uuid", email: "user@example.com", name: "User Name" },
script: { id: "uuid", name: "Script Name", type: "cron" },
execution: { id: "uuid", triggeredBy: "cron|manual|api" }
};
function h(c) { return [context.tenant.name, c.tenant.name]; }"""
    assert await script(source).value() == ["Tenant Name", "Acme"]


async def test_interleaved_calls_each_read_their_own_global_context():
    source = """
async function slow(c) {
  const before = context.request.query.who;
  await gate.pass("slow");
  return [before, context.request.query.who];
}
"""
    engine = Engine(
        16, load_limits=LOAD_LIMITS, modules=(MODULE,), contexts_per_script=2
    )

    async def load():
        return ScriptSource(source, "global.js", {})

    async def call(who, host):
        return await engine.invoke(
            ("global", 1),
            "slow",
            make_context({"query": {"who": who}}),
            Limits.of(5, 20),
            load,
            host,
        )

    try:
        opened = asyncio.Event()
        names = [f"u{i}" for i in range(12)]
        tasks = [asyncio.create_task(call(n, Gate(opened))) for n in names]
        await asyncio.sleep(0.3)
        opened.set()
        outcomes = await asyncio.gather(*tasks)
        assert [o.value for o in outcomes] == [[n, n] for n in names]
    finally:
        engine.clear()
