"""What a script really sees: its globals and their members, read in a real run.

The probe is stored through the real upload path and run as a manual run, so
it sees what every script sees: the prelude, every plugin's API module, and
(after a Predix body ran) Predix's per-run globals.
"""

import json

from scripts_app import runs
from scripts_app.services import prepare, store

# ECMAScript's and V8's own globals (and the ones sandbox.js sets to undefined):
# not the platform's, so the .d.ts leaves them to TypeScript's lib files. A V8
# upgrade that adds one makes the type definitions test name it: add it here.
_BUILTIN_NAMES = """
    Object Function Array Number parseFloat parseInt Infinity NaN undefined Boolean
    String Symbol Date Promise RegExp Error AggregateError EvalError RangeError
    ReferenceError SyntaxError TypeError URIError globalThis JSON Math Intl
    ArrayBuffer Atomics Uint8Array Int8Array Uint16Array Int16Array Uint32Array
    Int32Array BigUint64Array BigInt64Array Uint8ClampedArray Float32Array
    Float64Array Float16Array DataView Map BigInt Set Iterator WeakMap WeakSet Proxy
    Reflect FinalizationRegistry WeakRef decodeURI decodeURIComponent encodeURI
    encodeURIComponent escape unescape eval isFinite isNaN Temporal SuppressedError
    DisposableStack AsyncDisposableStack SharedArrayBuffer
    gc setTimeout clearTimeout __timer_manager
"""
V8_BUILTINS = frozenset(_BUILTIN_NAMES.split())

# A script that lists the global object from inside a run, once a Predix body
# has run too (Predix's o, parameters and current appear only then), and says
# which of the DECLARED paths ("name", "name.member", "name.member.member";
# "Class#member" for an instance member) it cannot reach.
PROBE = """
async function* __predixBody() {}

const DECLARED = %s;

function membersOf(value) {
  const skip = new Set(["length", "name", "prototype", "caller", "arguments"]);
  return Object.getOwnPropertyNames(value).filter((n) => !skip.has(n));
}

function isObject(value) {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

function reaches(path) {
  const [className, instanceMember] = path.split("#");
  if (instanceMember !== undefined) {
    const C = globalThis[className];
    return instanceMember in C.prototype || instanceMember in new C();
  }
  const parts = path.split(".");
  let value = globalThis;
  for (const part of parts) {
    if (!isObject(value) || !(part in value)) return false;
    value = value[part];
  }
  return true;
}

async function probe() {
  await __predixRun({ meta: { predix: {} } });
  const found = {};
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    let value;
    try { value = globalThis[name]; } catch (e) { value = undefined; }
    const entry = { type: value === null ? "null" : typeof value, members: [], proto: [], nested: {} };
    if (isObject(value)) {
      entry.members = membersOf(value);
      const proto = typeof value === "function" && value.prototype;
      if (proto) entry.proto = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
      // One level deeper for host objects (utils.date, $.uuid), not for data.
      if (entry.members.some((m) => typeof value[m] === "function")) {
        for (const m of entry.members) {
          if (isObject(value[m]) && membersOf(value[m]).length) entry.nested[m] = membersOf(value[m]);
        }
      }
    }
    found[name] = entry;
  }
  return { globals: found, unreachable: DECLARED.filter((path) => !reaches(path)) };
}
"""

# The probe's own functions and constants, not the platform's.
PROBE_NAMES = {"__predixBody", "DECLARED", "membersOf", "isObject", "reaches", "probe"}


def script_globals(tenant, user, declared_paths) -> dict:
    """Return {globals: {name: {type, members, proto, nested}}, unreachable: [path]}."""
    source = PROBE % json.dumps(sorted(declared_paths))
    saved = store(prepare(tenant, "globals-probe", source), user)
    result = runs.run_now_sync(
        saved.script, "probe", {}, triggered_by="manual", user=user
    )
    assert result.status == "ok", result
    found = result.result
    found["globals"] = {
        name: entry
        for name, entry in found["globals"].items()
        if name not in PROBE_NAMES
    }
    return found
