"""TextEncoder and TextDecoder speak UTF-8 exactly as Python's codec does."""

import json

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, message: e.message }; }
}
"""

TEXTS = [
    "",
    "plain ascii",
    "é",
    "€uro",
    "😀 emoji",
    "日本語テキスト",
    "a\u0000b",
    "\uffff\u0800\u07ff",
]


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


def js_bytes(data: bytes) -> str:
    return f"new Uint8Array({json.dumps(list(data))})"


@pytest.mark.parametrize("text", TEXTS)
async def test_encode_gives_the_utf8_bytes(text, run):
    result = await run(f"Array.from(new TextEncoder().encode({json.dumps(text)}))")

    assert bytes(result["value"]) == text.encode("utf-8")


async def test_lone_surrogates_encode_as_replacement_characters(run):
    result = await run('Array.from(new TextEncoder().encode("a\\ud800b\\udc00"))')

    assert bytes(result["value"]) == "a\ufffdb\ufffd".encode()


async def test_encode_into_stops_before_a_character_that_does_not_fit(run):
    result = await run(
        "(() => { const out = new Uint8Array(5);"
        " const r = new TextEncoder().encodeInto('ab€c', out);"
        " return [r.read, r.written, Array.from(out)]; })()"
    )

    # "€" takes three bytes and only two are left after "ab": it is not split.
    assert result["value"] == [3, 5, [97, 98, 0xE2, 0x82, 0xAC]]


@pytest.mark.parametrize("text", TEXTS)
async def test_decode_reverses_encode(text, run):
    result = await run(f"new TextDecoder().decode({js_bytes(text.encode())})")

    assert result["value"] == text


INVALID = [
    b"\xff",
    b"\x80abc",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf0\x8f\xbf\xbf",  # overlong
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xc0\xaf",
    b"a\xf0\x9f\x98b",
    b"\xe0\x80\x80z",
]


@pytest.mark.parametrize("data", INVALID, ids=lambda d: d.hex())
async def test_invalid_bytes_decode_to_replacements_as_python_does(data, run):
    result = await run(f"new TextDecoder().decode({js_bytes(data)})")

    assert result["value"] == data.decode("utf-8", "replace")


@pytest.mark.parametrize("data", INVALID, ids=lambda d: d.hex())
async def test_fatal_decoder_throws_type_error_on_invalid_bytes(data, run):
    result = await run(
        f"new TextDecoder('utf-8', {{ fatal: true }}).decode({js_bytes(data)})"
    )

    assert result["error"] == "TypeError"


async def test_bom_is_removed_unless_ignore_bom_is_set(run):
    data = js_bytes(b"\xef\xbb\xbfhi")
    result = await run(
        f"[new TextDecoder().decode({data}),"
        f" new TextDecoder('utf-8', {{ ignoreBOM: true }}).decode({data})]"
    )

    assert result["value"] == ["hi", "\ufeffhi"]


async def test_streaming_joins_a_character_split_across_chunks(run):
    result = await run(
        "(() => { const d = new TextDecoder(); const b = new TextEncoder().encode('x😀y');"
        " return d.decode(b.subarray(0, 3), { stream: true }) + d.decode(b.subarray(3)); })()"
    )

    assert result["value"] == "x😀y"


async def test_decoder_reads_array_buffers_data_views_and_offset_views(run):
    result = await run(
        "(() => { const b = new TextEncoder().encode('__hello__');"
        " const d = new TextDecoder();"
        " return [d.decode(b.buffer), d.decode(new DataView(b.buffer, 2, 5)),"
        "         d.decode(b.subarray(2, 7)), d.decode()]; })()"
    )

    assert result["value"] == ["__hello__", "hello", "hello", ""]


async def test_decoder_refuses_other_encodings_and_non_buffers(run):
    assert (await run("new TextDecoder('latin1')"))["error"] == "RangeError"
    assert (await run("new TextDecoder().decode('text')"))["error"] == "TypeError"
    assert (await run("new TextDecoder('UTF8').encoding"))["value"] == "utf-8"


async def test_large_text_round_trips(run):
    result = await run(
        "(() => { const s = 'aé€😀'.repeat(50000);"
        " return new TextDecoder().decode(new TextEncoder().encode(s)) === s; })()"
    )

    assert result["value"] is True
