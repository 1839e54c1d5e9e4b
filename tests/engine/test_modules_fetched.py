"""A context holds the source of the API modules its script uses, and no other.

The prelude names lazy modules by number; the context reads a module's source
from the host, over its channel, the first time the script uses it
(engine/context.py, prelude_with and _Channel). Before, every context held
every module's source, about 0.75 MB of V8 heap each with the platform's
modules.
"""

from engine import Engine, Limits, ScriptSource
from tests.engine.harness import LOAD_LIMITS, make_context

# A module of about 2 MB: its comment makes it big, its global makes it lazy.
BIG = (
    "(function (g, api) {\n"
    + "// padding\n" * 180_000
    + '  api.define("bigModule", { answer: function () { return 42; } });\n'
    + "})"
)
BIG_BYTES = len(BIG)


async def _heap_after(modules: tuple[str, ...], source: str) -> tuple[int, object]:
    """The used heap of a context of `source` after one call, and its value."""
    engine = Engine(2, load_limits=LOAD_LIMITS, modules=modules)

    async def load():
        return ScriptSource(source, "m.js", {})

    try:
        outcome = await engine.invoke(
            ("m", 1), "h", make_context(), Limits.of(5, 64), load
        )
        assert outcome.error is None, outcome.error
        (ctx,) = engine.contexts(("m", 1))
        return ctx._mr.heap_stats()["used_heap_size"], outcome.value
    finally:
        engine.clear()


UNUSED = "function h(c) { return typeof c; }"
USED = "function h(c) { return bigModule.answer(); }"


async def test_an_unused_module_costs_a_context_no_heap():
    without, _ = await _heap_after((), UNUSED)
    with_big, value = await _heap_after((BIG,), UNUSED)

    assert value == "object"
    # The module's 2 MB of source are not in the context; a declaration is.
    assert with_big - without < BIG_BYTES / 10


async def test_a_used_module_is_read_from_the_host_and_works():
    with_big, value = await _heap_after((BIG,), USED)
    without, _ = await _heap_after((), UNUSED)

    assert value == 42
    # Installed, so its source is there now.
    assert with_big - without > BIG_BYTES / 2


async def test_a_module_installed_at_once_may_use_a_lazy_one():
    # It defines, provides and contributes nothing: it runs as the context is
    # made, and reads the big module's source from the host then.
    at_once = """(function (g, api) {
      g.earlyAnswer = bigModule.answer() + 1;
    })"""
    _, value = await _heap_after(
        (BIG, at_once), "function h(c) { return globalThis.earlyAnswer; }"
    )

    assert value == 43
