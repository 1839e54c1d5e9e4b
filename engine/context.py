"""One warm V8 context running one version of one script."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import (
    CompileError,
    EngineError,
    EngineUnavailable,
    ScriptMemoryExceeded,
    ScriptRuntimeError,
    ScriptTimeout,
    parse_v8_report,
)

try:  # R1: the only import of py_mini_racer in the project.
    from py_mini_racer import (
        JSEvalException,
        JSOOMException,
        JSParseException,
        MiniRacer,
    )
except ImportError as exc:  # pragma: no cover - reported by the system check
    MiniRacer = None
    _IMPORT_ERROR = exc
else:
    _IMPORT_ERROR = None

PRELUDE = (Path(__file__).with_name("prelude.js")).read_text()


@dataclass(frozen=True)
class Limits:
    """How long and how much memory one invocation may use."""

    seconds: float
    memory_bytes: int

    @classmethod
    def of(cls, seconds: float, megabytes: float) -> Limits:
        return cls(float(seconds), int(megabytes * 1024 * 1024))


@dataclass
class Outcome:
    """What one invocation produced: a value or an error, plus logs and effects."""

    value: Any = None
    error: EngineError | None = None
    logs: list[dict] = field(default_factory=list)
    effects: list[dict] = field(default_factory=list)
    registrations: dict | None = None
    registration_errors: list[str] = field(default_factory=list)
    dropped_logs: int = 0
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _frame_position(stack: str, filename: str) -> tuple[int | None, int | None]:
    match = re.search(re.escape(filename) + r":(\d+):(\d+)", stack or "")
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2))


class ScriptContext:
    """A V8 isolate holding the prelude and one script's source.

    Not shared: one context serves exactly one (script, version). Calls are
    serialised with `lock`, because the prelude keeps per-invocation state.
    """

    def __init__(self, filename: str, config: dict | None = None):
        if MiniRacer is None:
            raise EngineUnavailable(f"py_mini_racer is not importable: {_IMPORT_ERROR}")
        self.filename = filename
        self.lock = asyncio.Lock()
        self.closed = False
        self.retired = False
        self.users = 0
        self._memory_limit = None
        # Created here, inside the running event loop that will call it (R3).
        self._mr = MiniRacer()
        self._mr.eval(PRELUDE)
        if config:
            self._mr.eval(f"__sh.configure({json.dumps(json.dumps(config))})")

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._mr.close()

    def _set_memory_limit(self, limit: int) -> None:
        if limit != self._memory_limit:
            self._mr.set_hard_memory_limit(limit)
            self._memory_limit = limit

    # -- raw calls -----------------------------------------------------------------

    async def _eval(self, code: str, deadline: float, limits: Limits) -> Any:
        """Evaluate code before the deadline; translate V8's failures."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out(limits)
        try:
            async with asyncio.timeout(remaining):
                return await self._mr.eval_cancelable(code)
        except TimeoutError:
            raise self._timed_out(limits) from None
        except JSOOMException:
            self.close()
            raise ScriptMemoryExceeded(
                f"Script exceeded its memory limit of "
                f"{limits.memory_bytes // (1024 * 1024)} MB and was stopped"
            ) from None
        except JSParseException as exc:
            report = parse_v8_report(str(exc))
            raise CompileError(
                report.message, line=report.line, column=report.column
            ) from None
        except JSEvalException as exc:
            report = parse_v8_report(str(exc))
            raise ScriptRuntimeError(
                report.message,
                line=report.line,
                column=report.column,
                stack=report.stack or str(exc),
            ) from None

    def _timed_out(self, limits: Limits) -> ScriptTimeout:
        return ScriptTimeout(
            f"Script exceeded its time limit of {limits.seconds:g} s and was stopped"
        )

    async def _host_call(
        self, method: str, payload: Any, deadline: float, limits: Limits
    ) -> Outcome:
        started = time.monotonic()
        arg = json.dumps(json.dumps(payload)) if payload is not None else ""
        raw = await self._eval(f"__sh.{method}({arg})", deadline, limits)
        reply = json.loads(raw)
        if reply["state"] == "pending":
            raw = await self._eval("__sh.collect()", deadline, limits)
            reply = json.loads(raw)
        outcome = Outcome(
            value=reply.get("value"),
            logs=reply.get("logs", []),
            effects=reply.get("effects", []),
            registrations=reply.get("registrations"),
            registration_errors=reply.get("registrationErrors", []),
            dropped_logs=reply.get("droppedLogs", 0),
        )
        if "error" in reply:
            err = reply["error"]
            line, column = _frame_position(err.get("stack", ""), self.filename)
            outcome.error = ScriptRuntimeError(
                f"{err.get('name', 'Error')}: {err.get('message', '')}",
                line=line,
                column=column,
                stack=err.get("stack", ""),
            )
            outcome.error.code = {
                "HandlerNotFound": "handler_not_found",
                "UnsettledPromise": "unsettled_promise",
            }.get(err.get("name"), "runtime_error")
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome

    async def _salvage_logs(self) -> list[dict]:
        """Read the logs a stopped invocation left behind, then discard the context."""
        logs: list[dict] = []
        if not self.closed:
            try:
                async with asyncio.timeout(0.5):
                    raw = await self._mr.eval_cancelable("__sh.collect()")
                logs = json.loads(raw).get("logs", [])
            except Exception:  # noqa: BLE001 - the context is going away regardless
                logs = []
            self.close()
        return logs

    # -- the two entry points ---------------------------------------------------------

    async def load(self, source: str, context: dict, limits: Limits) -> Outcome:
        """Run the script's top level, then init(context); return registrations."""
        started = time.monotonic()
        deadline = started + limits.seconds
        self._set_memory_limit(limits.memory_bytes)
        try:
            await self._eval(
                source + f"\n//# sourceURL={self.filename}", deadline, limits
            )
            outcome = await self._host_call(
                "load", {"context": context}, deadline, limits
            )
        except ScriptTimeout as exc:
            logs = await self._salvage_logs()
            return Outcome(error=exc, logs=logs, duration_ms=limits.seconds * 1000)
        except ScriptMemoryExceeded as exc:
            return Outcome(error=exc)
        except ScriptRuntimeError as exc:
            # A throw at top level; keep what it logged before that.
            return Outcome(error=exc, logs=await self._salvage_logs())
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome

    async def invoke(self, handler: str, context: dict, limits: Limits) -> Outcome:
        """Call handler(context) and return its value, logs and effects."""
        started = time.monotonic()
        self._set_memory_limit(limits.memory_bytes)
        try:
            outcome = await self._host_call(
                "invoke",
                {"handler": handler, "context": context},
                started + limits.seconds,
                limits,
            )
        except ScriptTimeout as exc:
            return Outcome(
                error=exc,
                logs=await self._salvage_logs(),
                duration_ms=(time.monotonic() - started) * 1000,
            )
        except ScriptMemoryExceeded as exc:
            return Outcome(error=exc, duration_ms=(time.monotonic() - started) * 1000)
        outcome.duration_ms = (time.monotonic() - started) * 1000
        return outcome
