"""API modules are installed on first use of what they define, and behave as if always there."""

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

import engine.context as engine_context


async def test_a_module_global_is_there_before_and_after_first_use(script):
    s = script(
        "function h(c) {\n"
        "  const before = 'utils' in globalThis;\n"
        "  const uuid = utils.uuid();\n"
        "  return [before, typeof uuid, uuid.length, typeof crypto.randomUUID, typeof TextEncoder];\n"
        "}"
    )
    assert await s.value() == [True, "string", 36, "function", "function"]


async def test_a_global_the_script_assigned_before_first_use_keeps_its_value(script):
    # `atob` and `btoa` come from one module: installing it for `btoa` must
    # not overwrite the script's own `atob`.
    s = script("atob = 'mine';\nfunction h(c) { return [atob, typeof btoa]; }")
    assert await s.value() == ["mine", "function"]


async def test_modules_used_only_from_other_modules_are_installed_for_them(script):
    # utils.uuid draws from the CSPRNG module, which the script never names.
    s = script(
        "function h(c) { const a = utils.uuid(), b = crypto.randomUUID();"
        " return [a !== b, /^[0-9a-f-]{36}$/.test(a), typeof globalThis.__shRandom]; }"
    )
    assert await s.value() == [True, True, "undefined"]


@pytest.mark.parametrize(
    "expression",
    ["typeof crypto.getRandomValues", "typeof btoa", "typeof URLSearchParams"],
)
async def test_each_builtin_module_is_reachable_by_its_globals(script, expression):
    s = script(f"function h(c) {{ return {expression}; }}")
    assert await s.value() == "function"


async def test_the_hosts_seed_keys_the_generator_when_it_is_first_used(
    script, monkeypatch
):
    # The seed goes in with the prelude; the CSPRNG module, installed only on
    # first use of `crypto`, must take it then (else it keys from Math.random).
    key = bytes(range(100, 132))
    monkeypatch.setattr(engine_context.secrets, "token_hex", lambda n: key.hex())
    s = script(
        "function h(c) { return Array.from(crypto.getRandomValues(new Uint8Array(64))); }"
    )
    encryptor = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
    assert bytes(await s.value()) == encryptor.update(bytes(64))
