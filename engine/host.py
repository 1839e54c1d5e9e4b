"""The host side of a script's synchronous host calls (R6).

A script's `sharedStorage.getItem(k)` becomes a call `(op, args)` that the
engine hands to the invocation's Host while the script waits; the Host answers
`{"ok": true, "value": ...}` or `{"ok": false, "error": {"name", "message"}}`,
which the script sees as the call's value or as a thrown Error. One Host is
built per invocation, bound to its tenant, script and user, so nothing a call
carries can choose whose data it touches.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

# An op returns its value, or an awaitable of it.
Op = Callable[..., Any]


class HostError(Exception):
    """A failure the script may see: its message reaches the script as an Error."""

    def __init__(self, message: str, name: str = "Error"):
        super().__init__(message)
        self.message = message
        self.name = name


class Host:
    """Perform host calls by name; subclass, `register` ops or override `lookup`."""

    def __init__(self, ops: dict[str, Op] | None = None):
        self.ops: dict[str, Op] = dict(ops or {})
        self.calls: list[str] = []  # names, in the order they were performed

    def register(self, name: str, op: Op) -> None:
        self.ops[name] = op

    def lookup(self, name: str) -> Op | None:
        """Return the op called `name`, or None when there is none."""
        return self.ops.get(name)

    def repeatable(self) -> bool:
        """May the invocation be run again from the start (nothing irreversible)?"""
        return True

    def start(self, name: str, args: Any) -> dict | Awaitable[dict]:
        """Perform one call: its answer now, or an awaitable of it.

        The answer is `{"ok": True, "value"}` or `{"ok": False, "error"}`. An
        op may return its value directly (a cached read) or an awaitable of it;
        only the second costs the caller a task.
        """
        name = str(name)
        self.calls.append(name)
        try:
            handler = self.lookup(name)
        except Exception:
            log.exception("Building the host calls for %s failed", name)
            return _error("Error", f"{name} failed on the server")
        if handler is None:
            return _error("Error", f"{name} is not available here")
        if not isinstance(args, list):
            args = [args]
        try:
            value = handler(*args)
        except Exception as exc:  # noqa: BLE001 - translated for the script
            return _failure(name, exc)
        if inspect.isawaitable(value):
            return _settle(name, value)
        return {"ok": True, "value": value}

    async def call(self, name: str, args: Any) -> dict:
        """Perform one call and return its answer (see start)."""
        answer = self.start(name, args)
        if not isinstance(answer, dict):
            answer = await answer
        return answer


async def _settle(name: str, awaitable: Awaitable) -> dict:
    try:
        value = await awaitable
    except Exception as exc:  # noqa: BLE001 - translated for the script
        return _failure(name, exc)
    return {"ok": True, "value": value}


def _failure(name: str, exc: Exception) -> dict:
    if isinstance(exc, HostError):
        return _error(exc.name, exc.message)
    if isinstance(exc, TypeError):
        return _error("TypeError", f"{name}: {exc}")
    # Internal details (and any secret they might hold) stay in our logs.
    log.error("Host call %s failed", name, exc_info=exc)
    return _error("Error", f"{name} failed on the server")


def _error(name, message) -> dict:
    return {"ok": False, "error": {"name": name, "message": message}}


NO_HOST = Host()
