"""Engine alone: hello handler invocations per second in one process.

Usage: python -m bench.engine_alone SECONDS  (prints one JSON line)
"""

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

from engine import Engine, Limits, ScriptSource

SOURCE = (Path(__file__).parent / "scripts" / "hello.js").read_text()
LIMITS = Limits.of(20, 20)


def context() -> dict:
    """A hello request as the runner builds one: every call has its own ids.

    (Identical contexts would make identical engine calls, which V8 answers
    from its compilation cache: a speed no real request gets.)
    """
    request = {
        "method": "GET",
        "path": "/hello",
        "query": {},
        "form": {},
        "headers": {"host": "127.0.0.1"},
        "body": None,
        "params": {},
        "auth": {"isAuthenticated": False},
    }
    return {
        "request": request,
        "args": {},
        "kind": "http",
        "meta": {},
        "tenant": {"id": "default", "name": "Default"},
        "user": None,
        "script": {"id": "hello", "name": "hello", "type": "http"},
        "execution": {"id": str(uuid.uuid4()), "triggeredBy": "http"},
    }


async def measure(seconds: float) -> dict:
    engine = Engine(4, load_limits=Limits.of(5, 64))

    async def load():
        return ScriptSource(SOURCE, "hello.js", {"kind": "init"})

    async def once():
        outcome = await engine.invoke(("hello", 1), "hello", context(), LIMITS, load)
        if outcome.error is not None:
            raise RuntimeError(outcome.error.as_dict())

    for _ in range(200):  # warm-up: build the context, let V8 optimise
        await once()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(100):
            await once()
        count += 100
    return {"invocations": count, "seconds": elapsed, "per_second": count / elapsed}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(float(sys.argv[1])))))
