"""Exceptions raised by the engine; py_mini_racer's own never leave engine/."""

from __future__ import annotations

import re
from dataclasses import dataclass

# V8 reports an uncaught error as "file:line: message\n<source line>\n<caret>\n\n<stack>".
_REPORT = re.compile(r"^(?P<file>[^\n]*?):(?P<line>\d+): (?P<message>[^\n]*)\n")


class EngineError(Exception):
    """Base class: something about a script stopped it from running to the end."""

    code = "script_error"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        stack: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.stack = stack

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "stack": self.stack,
        }


class CompileError(EngineError):
    """The script's source is not valid JavaScript."""

    code = "compile_error"


class ScriptRuntimeError(EngineError):
    """The script threw (at top level, in init() or in a handler)."""

    code = "runtime_error"


class ScriptTimeout(EngineError):
    """The script ran past its time limit and was stopped."""

    code = "timeout"


class ScriptMemoryExceeded(EngineError):
    """The script went over its memory limit and was stopped."""

    code = "memory_limit"


class ScriptInterrupted(EngineError):
    """Another call of the same script was stopped while this one was under way.

    Its context had to go; a call that could not safely be run again from the
    start (it did something irreversible) gets this error, and keeps nothing.
    """

    code = "interrupted"


class ScriptBusy(EngineError):
    """Every context the script may have stayed busy while this call waited."""

    code = "busy"


class EngineUnavailable(EngineError):
    """V8 could not be started in this process."""

    code = "engine_unavailable"


@dataclass(frozen=True)
class V8Report:
    message: str
    line: int | None
    column: int | None
    stack: str


def parse_v8_report(text: str) -> V8Report:
    """Split V8's uncaught-error text into message, line, column and stack."""
    match = _REPORT.match(text)
    if not match:
        return V8Report(text.strip(), None, None, text)
    rest = text[match.end() :].split("\n")
    column = None
    if len(rest) >= 2 and "^" in rest[1]:
        column = rest[1].index("^") + 1
    stack = "\n".join(rest[3:]).strip() if len(rest) > 3 else ""
    return V8Report(match.group("message"), int(match.group("line")), column, stack)
