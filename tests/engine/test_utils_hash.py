"""utils.crypto.hash gives the lowercase hex digest of the UTF-8 bytes, as hashlib does."""

import hashlib
import json

import pytest

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, message: e.message }; }
}
"""
ALGORITHMS = ["sha256", "sha1", "md5"]
# Every length from 0 to 130 bytes crosses the 55/56 and 63/64 padding edges
# of the first and second blocks; multibyte text puts them mid-character.
INPUTS = (
    ["x" * n for n in range(131)]
    + ["é" * n for n in (27, 28, 31, 32, 59, 60)]
    + ["😀" * n for n in (13, 14, 15, 16, 30)]
    + ["The quick brown fox jumps over the lazy dog", "日本語", "a\u0000b", "\n\t\r"]
    + ["abc" * 10000]
)


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_digests_match_hashlib_across_block_boundaries(algorithm, run):
    code = f"{json.dumps(INPUTS)}.map((s) => utils.crypto.hash(s, {json.dumps(algorithm)}))"

    result = await run(code)

    expected = [hashlib.new(algorithm, s.encode()).hexdigest() for s in INPUTS]
    mismatches = [
        (len(s), got, want)
        for s, got, want in zip(INPUTS, result["value"], expected, strict=True)
        if got != want
    ]
    assert mismatches == []


async def test_sha256_is_the_default_and_names_are_case_insensitive(run):
    result = await run(
        '[utils.crypto.hash("data"), utils.crypto.hash("data", "SHA-256")]'
    )

    digest = hashlib.sha256(b"data").hexdigest()
    assert result["value"] == [digest, digest]


async def test_bytes_are_hashed_as_they_are(run):
    result = await run(
        "[utils.crypto.hash(new Uint8Array([0, 255, 128]), 'md5'),"
        " utils.crypto.hash(new Uint8Array([9, 0, 255, 128, 9]).subarray(1, 4), 'md5'),"
        " utils.crypto.hash(new Uint8Array([0, 255, 128]).buffer, 'md5')]"
    )

    assert result["value"] == [hashlib.md5(b"\x00\xff\x80").hexdigest()] * 3


async def test_unknown_algorithm_throws_naming_the_supported_ones(run):
    result = await run('utils.crypto.hash("data", "sha512")')

    assert result["error"] == "Error"
    assert "sha256, sha1 or md5" in result["message"]


async def test_data_that_is_not_text_or_bytes_is_a_type_error(run):
    assert (await run("utils.crypto.hash({ a: 1 })"))["error"] == "TypeError"
