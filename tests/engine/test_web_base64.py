"""atob and btoa behave as the HTML spec's forgiving-base64 says."""

import base64
import json

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, code: e.code, dom: e instanceof DOMException,
                       isError: e instanceof Error, message: e.message }; }
}
"""


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


LATIN1 = "".join(chr(i) for i in range(256))


async def test_btoa_encodes_every_latin1_character_as_python_does(run):
    result = await run(f"btoa({json.dumps(LATIN1)})")

    assert result["value"] == base64.b64encode(LATIN1.encode("latin-1")).decode()


@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "abcd", "hello, world"])
async def test_btoa_pads_to_whole_quads(text, run):
    result = await run(f"btoa({json.dumps(text)})")

    assert result["value"] == base64.b64encode(text.encode()).decode()


async def test_atob_round_trips_every_byte(run):
    result = await run(f"atob(btoa({json.dumps(LATIN1)})) === {json.dumps(LATIN1)}")

    assert result["value"] is True


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("aGVsbG8=", "hello"),
        ("aGVsbG8", "hello"),  # padding is optional
        (" aG\tVs\nbG\f8\r= ", "hello"),  # ASCII whitespace is ignored
        ("YQ==", "a"),
        ("YR==", "a"),  # the unused low bits are dropped
        ("", ""),
    ],
)
async def test_atob_decodes_forgivingly(encoded, decoded, run):
    result = await run(f"atob({json.dumps(encoded)})")

    assert result["value"] == decoded


@pytest.mark.parametrize("encoded", ["a", "abcde", "ab=c", "ab===", "a==", "ab-_", "é"])
async def test_atob_rejects_bad_input_with_invalid_character_error(encoded, run):
    result = await run(f"atob({json.dumps(encoded)})")

    assert result["error"] == "InvalidCharacterError"
    assert result["code"] == 5
    assert result["dom"] is True and result["isError"] is True


async def test_btoa_rejects_characters_outside_latin1(run):
    result = await run('btoa("price: 5€")')

    assert result["error"] == "InvalidCharacterError"
    assert "Latin1" in result["message"]


async def test_utf8_text_survives_the_documented_btoa_idiom(run):
    code = """(() => {
      const bytes = new TextEncoder().encode("Grüße 😀");
      const encoded = btoa(String.fromCharCode(...bytes));
      const back = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
      return [encoded, new TextDecoder().decode(back)];
    })()"""
    result = await run(code)

    assert result["value"] == [
        base64.b64encode("Grüße 😀".encode()).decode(),
        "Grüße 😀",
    ]


async def test_calling_without_an_argument_is_a_type_error(run):
    assert (await run("atob()"))["error"] == "TypeError"
    assert (await run("btoa()"))["error"] == "TypeError"
