"""Manual runs under way: the loop that carries them past their request, their state.

POST /system/api/scripts/<id>/run answers 202 when a run takes longer than
its caller waits (scripts_app.runs); the run goes on here, and GET
/system/api/executions/<id> finds it here until its record is written.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

# Kept after the run ended, until the writer thread has surely written its
# record (scripts_app.records).
FINISHED_KEPT_SECONDS = 300


# -- runs that may outlive their request ----------------------------------------------
#
# Such a run cannot go on in the request's own event loop (under a sync view
# that loop ends with the request), so it goes to this process's runs loop, a
# thread of its own.


class _RunsLoop:
    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="scripthost-runs", daemon=True
                ).start()
                self._loop = loop
            return self._loop


_runs_loop = _RunsLoop()


def start(manual) -> concurrent.futures.Future:
    """Start a prepared run on the runs loop; return its concurrent Future.

    The run starts in a context of its own (contextvars): it must not inherit
    the request's asgiref ThreadSensitiveContext, whose thread is the one
    waiting for it, and would then be asked to run the run's ORM calls.
    """
    # Noted before it is handed over, so a poll right after the 202 finds it
    # (the runs loop may not have started it yet). run_prepared notes it again.
    note_started(manual)
    coroutine = _on_runs_loop(manual)
    return contextvars.Context().run(
        asyncio.run_coroutine_threadsafe, coroutine, _runs_loop.loop()
    )


async def _on_runs_loop(manual):
    # Its ORM calls get a thread of their own, as a request's do under ASGI,
    # whose connections are closed when the run ends.
    async with ThreadSensitiveContext():
        try:
            from scripts_app.runs import run_prepared

            return await run_prepared(manual)
        finally:
            await sync_to_async(connections.close_all)()


# -- runs under way, for polling -----------------------------------------------------
#
# A run's record is written when it ends (scripts_app.records), so until then
# GET /system/api/executions/<id> finds it here: in this process, and on the
# scaled stack in Redis too, since the poll may reach another worker process.
# Both keep a run for FINISHED_KEPT_SECONDS after it ended, past the writing
# of its record.

REDIS_KEY = "scripthost:run:{}"


@dataclass
class RunState:
    tenant_id: int
    script: str
    handler: str
    triggered_by: str
    started_at: datetime
    result: object = None  # its RunResult (scripts_app.runs), once it ended
    finished: float | None = None

    def as_json(self) -> dict:
        return {
            "tenant_id": self.tenant_id,
            "script": self.script,
            "handler": self.handler,
            "triggered_by": self.triggered_by,
            "started_at": self.started_at.isoformat(),
            "result": self.result.__dict__ if self.result else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> RunState:
        result = data.get("result")
        from scripts_app.runs import RunResult

        return cls(
            tenant_id=data["tenant_id"],
            script=data["script"],
            handler=data["handler"],
            triggered_by=data["triggered_by"],
            started_at=datetime.fromisoformat(data["started_at"]),
            result=RunResult(**result) if result else None,
        )


_states: dict[str, RunState] = {}
_states_lock = threading.Lock()


def note_started(manual) -> None:
    state = RunState(
        tenant_id=manual.tenant.id,
        script=manual.target.script_name,
        handler=manual.target.handler,
        triggered_by=manual.triggered_by,
        started_at=datetime.now(tz=UTC),
    )
    with _states_lock:
        _prune()
        _states[manual.execution_id] = state
    _share(manual.execution_id, state)


def note_finished(manual, result) -> None:
    with _states_lock:
        state = _states.get(manual.execution_id)
        if state is not None:
            state.result, state.finished = result, time.monotonic()
    if state is not None:
        _share(manual.execution_id, state)


def forget(execution_id: str) -> None:
    with _states_lock:
        _states.pop(execution_id, None)


def _prune() -> None:
    cutoff = time.monotonic() - FINISHED_KEPT_SECONDS
    for key in [k for k, s in _states.items() if s.finished and s.finished < cutoff]:
        del _states[key]


def state_of(execution_id: str, tenant_id: int) -> RunState | None:
    """A manual run started for the tenant (running or just ended), or None."""
    with _states_lock:
        state = _states.get(str(execution_id))
    if state is None:
        state = _shared(str(execution_id))
    return state if state is not None and state.tenant_id == tenant_id else None


@functools.cache
def _redis():
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
    )


def _share(execution_id: str, state: RunState) -> None:
    """Put a run's state in Redis (scaled stack), for the other processes' polls."""
    if not settings.REDIS_URL:
        return
    from scripts_app.runs import default_wait

    seconds = int(default_wait() + FINISHED_KEPT_SECONDS)
    try:
        text = json.dumps(state.as_json(), default=str)
        _redis().set(REDIS_KEY.format(execution_id), text, ex=seconds)
    except Exception:  # noqa: BLE001 - polling elsewhere is a convenience
        log.warning(
            "Could not share manual run %s in Redis", execution_id, exc_info=True
        )


def _shared(execution_id: str) -> RunState | None:
    if not settings.REDIS_URL:
        return None
    try:
        text = _redis().get(REDIS_KEY.format(execution_id))
        return RunState.from_json(json.loads(text)) if text else None
    except Exception:  # noqa: BLE001
        log.warning(
            "Could not read manual run %s from Redis", execution_id, exc_info=True
        )
        return None
