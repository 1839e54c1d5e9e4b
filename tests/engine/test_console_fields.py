"""console.log(message, {fields}): a trailing plain object is stored as structured fields."""

import types

import pytest

from engine import Engine, Limits
from engine.context import ScriptContext
from tests.engine.harness import Script, make_context


async def test_the_iota_structured_logging_example_keeps_message_and_fields(script):
    # IOTA seed, "Monitoring and Logging / Structured Logging", verbatim in a handler.
    s = script(
        "function h(c) {\n"
        "// Logs include context automatically\n"
        "console.log('User action', { user_id: context.user.id, action: 'create' });\n"
        "}"
    )
    context_user = {"id": "42", "email": None, "name": "ann", "permissions": []}
    outcome = await s.call(context=make_context(user=context_user))
    (entry,) = outcome.logs
    assert entry["level"] == "LOG"
    assert entry["message"] == "User action"
    assert entry["fields"] == {"user_id": "42", "action": "create"}


RULES = {
    # arguments: (message, fields or None)
    "message and object": ("'saved', {id: 7}", ("saved", {"id": 7})),
    "several then object": ("'a', 1, {k: 'v'}", ("a 1", {"k": "v"})),
    "null-prototype object": (
        "'n', Object.assign(Object.create(null), {k: 1})",
        ("n", {"k": 1}),
    ),
    "object alone is the message": ("{id: 7}", ('{"id":7}', None)),
    "array last is the message": ("'list', [1, 2]", ("list [1,2]", None)),
    "object not last is the message": ("{a: 1}, 'x'", ('{"a":1} x', None)),
    "class instance is the message": (
        "'m', new Map([[1, 2]])",
        ("m {}", None),
    ),
    "error last is the message": ("'e', new Error('boom')", (None, None)),
    "cyclic object is the message": (
        "'c', (() => { const o = {}; o.o = o; return o; })()",
        ("c [object Object]", None),
    ),
}


@pytest.mark.parametrize(("arguments", "expected"), RULES.values(), ids=RULES.keys())
async def test_only_a_trailing_plain_object_after_a_message_becomes_fields(
    script, arguments, expected
):
    (entry,) = (
        await script(f"function h(c) {{ console.info({arguments}); }}").call()
    ).logs
    message, fields = expected
    if message is not None:
        assert entry["message"] == message
    else:
        assert entry["message"].startswith("e Error: boom")
    assert entry.get("fields") == fields


async def test_fields_are_a_copy_taken_when_logged(script):
    s = script(
        "function h(c) { const f = {n: 1}; console.log('x', f); f.n = 2; return f.n; }"
    )
    outcome = await s.call()
    assert outcome.value == 2
    assert outcome.logs[0]["fields"] == {"n": 1}


async def test_fields_too_large_for_the_cap_are_shown_in_the_message():
    engine = Engine(1, load_limits=Limits.of(2, 20), config={"maxLogChars": 20})
    try:
        s = Script(
            engine,
            "function h(c) { console.log('m', {k: 'v'}); console.log('m', {k: 'v'.repeat(30)}); }",
            "fieldcap",
            1,
        )
        first, second = (await s.call()).logs
        assert first["fields"] == {"k": "v"}
        assert "fields" not in second
        assert second["message"].startswith('m {"k":"vvv')
    finally:
        engine.clear()


def capped(logs, longest=20):
    holder = types.SimpleNamespace(caps={"maxLogs": 10, "maxLogChars": longest})
    return ScriptContext._capped_logs(holder, {"logs": logs})[0]


def test_the_host_drops_fields_over_the_cap_or_not_an_object():
    # What the prelude never sends, the host refuses anyway (a fooled prelude).
    kept = capped(
        [
            {"level": "LOG", "message": "ok", "fields": {"a": 1}},
            {"level": "LOG", "message": "big", "fields": {"a": "x" * 50}},
            {"level": "LOG", "message": "odd", "fields": [1, 2]},
        ]
    )
    assert kept[0]["fields"] == {"a": 1}
    assert "fields" not in kept[1] and "fields" not in kept[2]
    assert kept[1]["message"].startswith("big [fields dropped")
    assert kept[2]["message"].startswith("odd [fields dropped")
