"""The scripthost engine: Django-free, the only user of py_mini_racer (R1).

    engine = Engine(pool_size=64, load_limits=Limits.of(5, 20))
    outcome = await engine.invoke(key, "hello", context, Limits.of(20, 20), load)

`Outcome` carries the handler's value or an `EngineError`, plus the buffered
console logs and effects. Build and use an Engine inside one event loop.

Scripts run with the prelude's API (prelude.js) in a sandbox (sandbox.js): no
script code runs outside an engine call (there are no timers), and ArrayBuffer
memory counts against the memory limit like the V8 heap does.
"""

from engine.context import Limits, Outcome, ScriptContext
from engine.errors import (
    CompileError,
    EngineError,
    EngineUnavailable,
    ScriptBusy,
    ScriptInterrupted,
    ScriptMemoryExceeded,
    ScriptRuntimeError,
    ScriptTimeout,
)
from engine.host import Host, HostError
from engine.pool import Engine, ScriptSource

__all__ = [
    "CompileError",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Host",
    "HostError",
    "Limits",
    "Outcome",
    "ScriptContext",
    "ScriptBusy",
    "ScriptInterrupted",
    "ScriptMemoryExceeded",
    "ScriptRuntimeError",
    "ScriptSource",
    "ScriptTimeout",
]
