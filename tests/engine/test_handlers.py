"""Handlers: plain or async, found by name, given the R10 context."""

import pytest

from tests.engine.harness import make_context


async def test_sync_handler_returns_its_value(script):
    s = script("function h(c) { return { status: 201, body: { id: 7 } }; }")
    assert await s.value() == {"status": 201, "body": {"id": 7}}


async def test_handler_returning_nothing_gives_none(script):
    assert await script("function h(c) {}").value() is None


async def test_async_handler_returns_after_awaiting_a_resolved_promise(script):
    s = script(
        "async function h(c) { const v = await Promise.resolve(20); return v + 1; }"
    )
    assert await s.value() == 21


async def test_async_handler_with_chained_awaits(script):
    s = script(
        """
        async function double(n) { await null; return n * 2; }
        async function h(c) {
          let n = 1;
          for (let i = 0; i < 5; i++) n = await double(n);
          const [a, b] = await Promise.all([double(1), Promise.resolve(3).then((x) => x + 1)]);
          return n + a + b;
        }
        """
    )
    assert await s.value() == 32 + 2 + 4


async def test_handler_returning_a_promise_chain(script):
    s = script(
        "function h(c) { return Promise.resolve('a').then((x) => x + 'b').then((x) => x + 'c'); }"
    )
    assert await s.value() == "abc"


async def test_rejected_promise_is_a_runtime_error(script):
    outcome = await script(
        "function h(c) { return Promise.reject(new TypeError('nope')); }"
    ).call()
    assert outcome.error.message == "TypeError: nope"
    assert outcome.error.code == "runtime_error"


async def test_promise_that_never_settles_gives_a_clear_error(script):
    outcome = await script(
        "async function h(c) { await new Promise(() => {}); return 1; }"
    ).call()
    assert outcome.error.code == "unsettled_promise"
    assert "never settled" in outcome.error.message


async def test_waiting_for_a_timer_is_an_error_not_a_hang(script):
    s = script(
        "async function h(c) {\n  await new Promise((r) => setTimeout(r, 10));\n}"
    )
    outcome = await s.call()
    assert outcome.error.message == "TypeError: setTimeout is not a function"
    assert outcome.error.line == 2


async def test_context_works_again_after_an_unsettled_promise(script):
    s = script(
        "var n = 0;\n"
        "function stuck(c) { n++; return new Promise(() => {}); }\n"
        "function h(c) { return ++n; }"
    )
    await s.call("stuck")
    assert await s.value() == 2


NOT_HANDLERS = {
    "missing": "nope",
    "not a function": "config",
    "inherited method": "toString",
    "not an identifier": "h(); globalThis.hacked = true",
    "property path": "obj.fn",
}


@pytest.mark.parametrize("name", NOT_HANDLERS.values(), ids=NOT_HANDLERS.keys())
async def test_unknown_handler_is_reported_and_runs_nothing(script, name):
    s = script(
        "var config = { a: 1 };\nvar obj = { fn() { return 1; } };\n"
        "function h(c) { return globalThis.hacked === true; }"
    )
    outcome = await s.call(name)
    assert outcome.error.code == "handler_not_found"
    assert (
        outcome.error.message
        == f"HandlerNotFound: Handler '{name}' is not a function in this script"
    )
    assert await s.value() is False


DECLARATIONS = {
    "const arrow": "const h = (c) => 'const arrow';",
    "let function": "let h = function (c) { return 'let function'; };",
    "var async arrow": "var h = async (c) => 'var async arrow';",
}


@pytest.mark.parametrize(
    ("expected", "declaration"), DECLARATIONS.items(), ids=DECLARATIONS.keys()
)
async def test_handlers_declared_with_const_let_or_var_are_found(
    script, expected, declaration
):
    assert await script(declaration).value() == expected


async def test_reassigned_let_handler_uses_its_current_value(script):
    s = script("let h = () => 'first';\nfunction swap(c) { h = () => 'second'; }")
    assert await s.value() == "first"
    await s.value("swap")
    assert await s.value() == "second"


async def test_request_fields_are_readable_on_the_context_itself(script):
    s = script(
        "function h(req) {\n"
        "  return [req.method, req.path, req.query.x, req.form.f, req.headers.accept,\n"
        "          req.body, req.params.id, req.auth.isAuthenticated];\n"
        "}"
    )
    request = {
        "method": "POST",
        "path": "/items/9",
        "query": {"x": "1"},
        "form": {"f": "v"},
        "headers": {"accept": "text/html"},
        "body": "raw",
        "params": {"id": "9"},
        "auth": {"isAuthenticated": True},
    }
    assert await s.value("h", request) == [
        "POST",
        "/items/9",
        "1",
        "v",
        "text/html",
        "raw",
        "9",
        True,
    ]


async def test_path_params_are_on_context_request(script):
    s = script("function h(context) { return context.request.params.id; }")
    assert await s.value("h", {"params": {"id": "42"}}) == "42"


async def test_context_carries_every_r10_field(script):
    s = script(
        "function h(c) { return [Object.keys(c.request).sort(), c.kind, c.tenant.id, c.user,"
        " c.script.name, c.execution.id, c.args, c.meta]; }"
    )
    outcome = await s.call(context=make_context(meta={"requestId": "r1"}))
    keys, kind, tenant, user, name, execution, args, meta = outcome.value
    assert keys == sorted(
        ["method", "path", "query", "form", "headers", "body", "params", "auth"]
    )
    assert [kind, tenant, user, name, execution, args, meta] == [
        "http",
        "acme",
        None,
        "s",
        "1",
        {},
        {"requestId": "r1"},
    ]


async def test_context_without_a_request_is_passed_as_is(script):
    s = script("function h(c) { return [c.kind, c.args.n, 'query' in c]; }")
    outcome = await s.call(context={"request": None, "kind": "cron", "args": {"n": 3}})
    assert outcome.value == ["cron", 3, False]


async def test_globals_persist_between_calls_of_one_version(script):
    s = script("var hits = 0;\nfunction h(c) { return ++hits; }")
    assert [await s.value() for _ in range(3)] == [1, 2, 3]
    assert s.loads == 1


async def test_values_round_trip_unicode_and_numbers(script):
    s = script(
        "function h(c) { return { s: 'ä\\u2028\\ud83d\\ude00', big: 2 ** 53, f: 0.1, neg: -0 }; }"
    )
    assert await s.value() == {"s": "ä\u2028😀", "big": 2**53, "f": 0.1, "neg": 0}


async def test_request_values_reach_the_script_unchanged(script):
    s = script("function h(c) { return c.request.body; }")
    tricky = 'quote " backslash \\ newline \n separator \u2028 emoji 😀 </script>'
    assert await s.value("h", {"body": tricky}) == tricky
