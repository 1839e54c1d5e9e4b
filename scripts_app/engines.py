"""One Engine per event loop, and a way to run the engine from sync code."""

from __future__ import annotations

import asyncio
import concurrent.futures
import weakref

from core.conf import limits_for, scripts_setting
from core.plugins import api_modules
from engine import Engine, Limits

_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_config() -> dict:
    return {
        "maxLogs": scripts_setting("MAX_LOGS_PER_INVOCATION"),
        "maxLogChars": scripts_setting("MAX_LOG_MESSAGE_CHARS"),
        "maxOutputChars": scripts_setting("MAX_OUTPUT_BYTES"),
        "maxHostCallChars": scripts_setting("MAX_HOST_CALL_BYTES"),
    }


def load_limits() -> Limits:
    _, megabytes = limits_for("http")
    return Limits.of(scripts_setting("INIT_TIMEOUT_SECONDS"), megabytes)


def engine() -> Engine:
    """Return this event loop's engine, creating it on first use (R3)."""
    loop = asyncio.get_running_loop()
    found = _engines.get(loop)
    if found is None:
        found = _engines[loop] = Engine(
            scripts_setting("VM_POOL_SIZE"),
            load_limits=load_limits(),
            config=engine_config(),
            modules=api_modules(),
            contexts_per_script=scripts_setting("VM_CONTEXTS_PER_SCRIPT"),
            nice=scripts_setting("VM_NICE"),
        )
    return found


def run_sync(coroutine_function, *args):
    """Run an async engine task from sync code (uploads, management commands)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_function(*args))
    # Called from a thread that already runs a loop: use a fresh thread and loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result()
