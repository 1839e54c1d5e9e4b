"""The host side of a script's Promise-returning calls (R6).

A script's `await storage.get(k)` becomes an op `{"id", "op", "args"}` that the
engine hands to a Host in one batch per round trip; the Host answers each with
`{"id", "ok", "value"}` or `{"id", "ok": false, "error": {"name", "message"}}`.
One Host is built per invocation, bound to its tenant, script and user, so
nothing an op carries can choose whose data it touches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Op = Callable[..., Awaitable[Any]]


class HostError(Exception):
    """A failure the script may see: its message reaches the script as an Error."""

    def __init__(self, message: str, name: str = "Error"):
        super().__init__(message)
        self.message = message
        self.name = name


class Host:
    """Perform host calls by name; subclass or `register` ops."""

    def __init__(self, ops: dict[str, Op] | None = None):
        self.ops: dict[str, Op] = dict(ops or {})
        self.calls: list[str] = []  # names, in the order they were performed

    def register(self, name: str, op: Op) -> None:
        self.ops[name] = op

    def repeatable(self) -> bool:
        """May the invocation be run again from the start (nothing irreversible)?"""
        return True

    async def perform(self, batch: list[dict]) -> list[dict]:
        """Run a batch of ops concurrently; answer each, in the batch's order."""
        return list(await asyncio.gather(*(self._one(op) for op in batch)))

    async def _one(self, request: dict) -> dict:
        op_id, name = request.get("id"), request.get("op")
        self.calls.append(str(name))
        handler = self.ops.get(name)
        if handler is None:
            return _error(op_id, "Error", f"{name} is not available here")
        args = request.get("args")
        if not isinstance(args, list):
            args = [args]
        try:
            value = await handler(*args)
        except HostError as exc:
            return _error(op_id, exc.name, exc.message)
        except TypeError as exc:
            return _error(op_id, "TypeError", f"{name}: {exc}")
        except Exception:
            # Internal details (and any secret they might hold) stay in our logs.
            log.exception("Host call %s failed", name)
            return _error(op_id, "Error", f"{name} failed on the server")
        return {"id": op_id, "ok": True, "value": value}


def _error(op_id, name, message) -> dict:
    return {"id": op_id, "ok": False, "error": {"name": name, "message": message}}


NO_HOST = Host()
