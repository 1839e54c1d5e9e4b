"""URLSearchParams parses, edits and serialises as the URL standard says."""

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, message: e.message }; }
}
"""


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        result = await s.value("h", {"body": code})
        assert "error" not in result, result
        return result["value"]

    return evaluate


async def test_query_string_decodes_plus_and_percent_escapes(run):
    value = await run(
        "(() => { const p = new URLSearchParams('?q=a+b%20c&e=%C3%A9&bad=%zz&flag&=x&&');"
        " return [...p]; })()"
    )

    assert value == [
        ["q", "a b c"],
        ["e", "é"],
        ["bad", "%zz"],
        ["flag", ""],
        ["", "x"],
    ]


async def test_invalid_percent_encoded_utf8_becomes_replacement_characters(run):
    assert await run("new URLSearchParams('a=%FF%C3').get('a')") == "\ufffd\ufffd"


async def test_constructs_from_records_pairs_and_other_params(run):
    value = await run(
        "[new URLSearchParams({ a: 1, b: 'x y' }).toString(),"
        " new URLSearchParams([['a', '1'], ['a', '2']]).toString(),"
        " new URLSearchParams(new URLSearchParams('k=v')).toString(),"
        " new URLSearchParams(new Map([['m', 'n']])).toString(),"
        " new URLSearchParams().toString()]"
    )

    assert value == ["a=1&b=x+y", "a=1&a=2", "k=v", "m=n", ""]


async def test_a_pair_without_exactly_two_items_is_a_type_error(script):
    s = script(EVAL)

    result = await s.value("h", {"body": "new URLSearchParams([['a', '1', '2']])"})

    assert result["error"] == "TypeError"


async def test_serialisation_escapes_all_but_the_form_safe_characters(run):
    value = await run('new URLSearchParams({ s: "a b!\'()~*-._&=+/?é😀" }).toString()')

    assert value == "s=a+b%21%27%28%29%7E*-._%26%3D%2B%2F%3F%C3%A9%F0%9F%98%80"


async def test_get_get_all_has_and_size(run):
    value = await run(
        "(() => { const p = new URLSearchParams('a=1&b=2&a=3');"
        " return [p.get('a'), p.get('zz'), p.getAll('a'), p.has('b'), p.has('a', '3'),"
        "         p.has('a', '9'), p.size]; })()"
    )

    assert value == ["1", None, ["1", "3"], True, True, False, 3]


async def test_set_replaces_the_first_and_removes_the_rest(run):
    value = await run(
        "(() => { const p = new URLSearchParams('a=1&b=2&a=3'); p.set('a', 'x');"
        " p.set('c', 'new'); return p.toString(); })()"
    )

    assert value == "a=x&b=2&c=new"


async def test_append_and_delete_by_name_or_by_name_and_value(run):
    value = await run(
        "(() => { const p = new URLSearchParams('a=1&a=2&b=3'); p.append('a', '4');"
        " p.delete('a', '2'); const one = p.toString(); p.delete('a');"
        " return [one, p.toString()]; })()"
    )

    assert value == ["a=1&b=3&a=4", "b=3"]


async def test_sort_orders_names_stably_by_code_units(run):
    value = await run(
        "(() => { const p = new URLSearchParams('z=1&a=2&%F0%9F%98%80=e&a=1&%EF%AC%80=f');"
        " p.sort(); return [...p.keys()].concat([...p.values()]); })()"
    )

    # U+1F600 is a surrogate pair (0xD83D...), which sorts before U+FB00.
    assert value == ["a", "a", "z", "😀", "ﬀ", "2", "1", "1", "e", "f"]


async def test_iterators_and_for_each_walk_the_live_list(run):
    value = await run(
        "(() => { const p = new URLSearchParams('a=1&b=2'); const seen = [];"
        " p.forEach((v, k, self) => seen.push(k + v + (self === p)));"
        " const it = p.entries(); const first = it.next().value; p.append('c', '3');"
        " const rest = [...it]; return [seen, first, rest, [...p.values()],"
        "   Object.prototype.toString.call(p)]; })()"
    )

    assert value == [
        ["a1true", "b2true"],
        ["a", "1"],
        [["b", "2"], ["c", "3"]],
        ["1", "2", "3"],
        "[object URLSearchParams]",
    ]


async def test_a_round_trip_keeps_every_pair(run):
    value = await run(
        "(() => { const p = new URLSearchParams(); p.append('x y', 'é&=+');"
        " p.append('', ''); const q = new URLSearchParams(p.toString());"
        " return [...q]; })()"
    )

    assert value == [["x y", "é&=+"], ["", ""]]
