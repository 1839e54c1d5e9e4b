"""The scripthost engine: Django-free, the only user of py_mini_racer (R1).

    engine = Engine(pool_size=64, load_limits=Limits.of(5, 20))
    outcome = await engine.invoke(key, "hello", context, Limits.of(20, 20), load)

`Outcome` carries the handler's value or an `EngineError`, plus the buffered
console logs and effects. Build and use an Engine inside one event loop.
"""

from engine.context import Limits, Outcome, ScriptContext
from engine.errors import (
    CompileError,
    EngineError,
    EngineUnavailable,
    ScriptMemoryExceeded,
    ScriptRuntimeError,
    ScriptTimeout,
)
from engine.pool import Engine, ScriptSource

__all__ = [
    "CompileError",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Limits",
    "Outcome",
    "ScriptContext",
    "ScriptMemoryExceeded",
    "ScriptRuntimeError",
    "ScriptSource",
    "ScriptTimeout",
]
