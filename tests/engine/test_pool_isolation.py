"""R2: a context never serves two scripts, even with identical source."""

SOURCE = """
var n = 0;
function h(c) { return ++n; }
function leak(c) { globalThis.secret = c.request.query.secret; return 'set'; }
function peek(c) { return typeof secret === 'undefined' ? null : secret; }
"""


async def test_scripts_with_identical_source_do_not_share_globals(script):
    a = script(SOURCE, name="tenant-a-script")
    b = script(SOURCE, name="tenant-b-script")
    assert await a.value() == 1
    assert await a.value() == 2
    assert await b.value() == 1


async def test_globals_set_by_one_script_are_invisible_to_another(script):
    a = script(SOURCE)
    b = script(SOURCE)
    assert await a.value("leak", {"query": {"secret": "hunter2"}}) == "set"
    assert await a.value("peek") == "hunter2"
    assert await b.value("peek") is None


async def test_changes_to_built_ins_stay_in_their_own_context(script):
    a = script(
        "function h(c) { Array.prototype.first = function () { return this[0]; }; return [7].first(); }"
    )
    b = script("function h(c) { return typeof [].first; }")
    assert await a.value() == 7
    assert await b.value() == "undefined"


async def test_two_versions_of_one_script_do_not_share_globals(script):
    v1 = script(SOURCE, name="same", version=1)
    v2 = script(SOURCE, name="same", version=2)
    await v1.value("leak", {"query": {"secret": "v1 only"}})
    assert await v2.value("peek") is None
