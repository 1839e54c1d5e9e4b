"""crypto.getRandomValues and crypto.randomUUID draw from a ChaCha20 generator."""

import re
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

EVAL = """
function h(c) {
  try { return { value: eval(c.request.body) }; }
  catch (e) { return { error: e.name, code: e.code, message: e.message }; }
}
"""
V4 = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@pytest.fixture
def run(script):
    s = script(EVAL)

    async def evaluate(code):
        return await s.value("h", {"body": code})

    return evaluate


async def test_random_uuid_is_a_distinct_version_4_uuid_each_time(run):
    result = await run("Array.from({ length: 500 }, () => crypto.randomUUID())")

    ids = result["value"]
    assert all(V4.match(i) for i in ids)
    assert len(set(ids)) == 500
    assert all(uuid.UUID(i).version == 4 for i in ids)


async def test_get_random_values_fills_integer_arrays_in_place(run):
    result = await run(
        "(() => { const a = new Uint32Array(64); const same = crypto.getRandomValues(a) === a;"
        " return [same, Array.from(a).filter((x) => x !== 0).length,"
        "         crypto.getRandomValues(new BigUint64Array(2)).length]; })()"
    )

    same, nonzero, big = result["value"]
    assert same is True
    assert nonzero >= 60  # a zero word has odds of 1 in 2**32 each
    assert big == 2


async def test_get_random_values_refuses_float_arrays(run):
    result = await run("crypto.getRandomValues(new Float64Array(2))")

    assert result["error"] == "TypeMismatchError"
    assert result["code"] == 17


async def test_get_random_values_refuses_more_than_65536_bytes(run):
    result = await run("crypto.getRandomValues(new Uint8Array(65537))")

    assert result["error"] == "QuotaExceededError"
    assert result["code"] == 22
    assert (await run("crypto.getRandomValues(new Uint8Array(65536)).length"))[
        "value"
    ] == 65536


async def test_host_seeded_generator_produces_the_chacha20_keystream(run):
    key = bytes(range(32))
    result = await run(
        f"crypto[Symbol.for('scripthost.seedRandom')]('{key.hex()}');"
        " Array.from(crypto.getRandomValues(new Uint8Array(200)))"
    )

    # RFC 8439's block function with a 64-bit counter and zero nonce from 0.
    encryptor = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
    assert bytes(result["value"]) == encryptor.update(bytes(200))


async def test_two_contexts_draw_different_values(script):
    source = "function h(c) { return crypto.randomUUID(); }"

    first = await script(source).value("h")
    second = await script(source).value("h")

    assert first != second
