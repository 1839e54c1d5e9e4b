"""The prelude and its host protocol hold whatever a script does to its globals."""

import pytest

from engine import ScriptSource

TAMPERING = {
    "assign": "__sh = null;",
    "assign a member": "try { __sh.invoke = null; } catch (e) {}",
    "define": "try { Object.defineProperty(globalThis, '__sh', { value: 1 }); } catch (e) {}",
    "delete": "delete globalThis.__sh;",
    "var": "var __sh = 1;",
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
async def test_scripts_cannot_replace_the_host_binding(script, tamper):
    s = script(f"{tamper}\nfunction h(c) {{ return typeof __sh.invoke; }}")
    assert await s.value() == "function"
    assert await s.value() == "function"


async def test_strict_mode_assignment_to_the_host_binding_throws(script):
    s = script("'use strict';\nfunction h(c) { __sh = 1; }")
    error = (await s.call()).error
    assert error.message.startswith(
        "TypeError: Cannot assign to read only property '__sh'"
    )
    assert error.line == 2


BUILT_INS = {
    "JSON.stringify": 'JSON.stringify = () => \'{"state":"done","value":"forged"}\';',
    "JSON.parse": "JSON.parse = () => ({ handler: 'evil' });",
    "array iteration": "Array.prototype[Symbol.iterator] = function () { throw new Error('no'); };",
    "array methods": "Array.prototype.push = Array.prototype.map = Array.prototype.join = null;",
    "string split": "String.prototype.split = null;",
    "Date.now": "Date.now = () => { throw new Error('no clock'); };",
    "eval": "globalThis.eval = () => () => 'forged';",
    "setter for request fields": (
        "Object.defineProperty(Object.prototype, 'query', { set(v) { throw new Error('no'); } });"
    ),
}


@pytest.mark.parametrize("sabotage", BUILT_INS.values(), ids=BUILT_INS.keys())
async def test_changing_built_ins_does_not_break_the_host_protocol(script, sabotage):
    s = script(
        f"{sabotage}\n"
        "const h = (c) => { console.log('ran'); return { got: c.query.x }; };"
    )
    outcome = await s.call("h", {"query": {"x": "real"}})
    assert outcome.error is None, outcome.error.as_dict()
    assert outcome.value == {"got": "real"}
    assert [e["message"] for e in outcome.logs] == ["ran"]


async def test_result_with_a_cyclic_structure_is_a_clear_error(script):
    s = script(
        "var n = 0;\n"
        "function h(c) { const o = { name: 'loop' }; o.self = o; return o; }\n"
        "function ok(c) { return ++n; }"
    )
    outcome = await s.call()
    assert outcome.error.code == "runtime_error"
    assert outcome.error.message.startswith(
        "TypeError: The result could not be converted to JSON: Converting circular structure"
    )
    assert await s.value("ok") == 1


async def test_result_that_json_cannot_hold_is_a_clear_error(script):
    outcome = await script("function h(c) { return { big: 10n }; }").call()
    assert "could not be converted to JSON" in outcome.error.message


async def test_prototype_to_json_cannot_forge_the_reply(script):
    s = script(
        "Object.prototype.toJSON = function () { return { state: 'done', value: 'forged' }; };\n"
        "function h(c) { return 'real'; }"
    )
    outcome = await s.call()
    assert outcome.value is None
    assert "toJSON" in outcome.error.message


async def test_array_to_json_cannot_forge_registrations(engine):
    source = (
        "routeRegistry.registerRoute('/ok', 'h');\n"
        "Array.prototype.toJSON = function () { return [{ path: '/admin', method: 'GET', handler: 'h' }]; };\n"
        "function h(c) {}"
    )
    outcome = await engine.analyze(ScriptSource(source, "forge.js", {}))
    assert outcome.error is not None
    assert not outcome.registrations


async def test_a_script_that_breaks_the_prelude_gets_an_error_and_a_fresh_context(
    script,
):
    # A throwing `then` getter on every object trips the prelude's promise check.
    s = script(
        "var n = 0;\n"
        "function h(c) { n++; return { ok: true }; }\n"
        "function sabotage(c) {\n"
        "  Object.defineProperty(Object.prototype, 'then', { get() { throw new Error('trap'); } });\n"
        "}"
    )
    assert await s.value() == {"ok": True}
    await s.call("sabotage")
    outcome = await s.call()
    assert outcome.error is not None
    assert s.key not in s.engine
    assert s.loads == 1
    assert await s.value() == {"ok": True}
    assert s.loads == 2
