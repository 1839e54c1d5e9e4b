"""Run any handler of a script by hand: the admin's "Run now", the REST API, manage.py.

Every entry point calls `run_now` (or its two halves, `prepare` and
`run_prepared`, when the answer may be sent before the run ends: the REST
API, through scripts_app.pending_runs), so a manual
run behaves the same whoever started it: kind "manual" (the "cron" limits
row, R8: 30 s / 128 MB by default), `context.args` the caller's JSON,
`context.user` the operator (none from manage.py), `context.request` null,
`context.execution.triggeredBy` "manual" or "api", and an execution record
that keeps the return value. IOTA's one-off scripts are run by their
`main()`, the handler run when none is named.

What is wrong with a request (args that are not a JSON object or array, no
such handler, a disabled script) is refused before anything runs, with a
RunRefused that says what and where; nothing is stored then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings

from core import ids
from core.json_input import JSONInputError
from core.json_input import loads as json_loads
from scripts_app import pending_runs
from scripts_app.admission import Overloaded
from scripts_app.executions import error_text
from scripts_app.invocations import limits, run
from scripts_app.routing import RouteTarget

KIND = "manual"
DEFAULT_HANDLER = "main"  # IOTA's one-off (and cron) scripts' entry point
IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
# Top-level declarations a handler may be: `function f(`, `async function f(`,
# `function* f(`, `const f = (...) =>`, `let f = async x =>`, `var f = function`.
# Written at the start of a line, as top-level code is; what they miss the
# engine still finds (the admin's list of handlers is a suggestion).
_FUNCTION = re.compile(
    r"^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(", re.MULTILINE
)
_ASSIGNED = re.compile(
    r"^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*"
    r"(?:async\b\s*)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)",
    re.MULTILINE,
)
# How long past its time limit a caller waits for a run by default: a run
# that times out is stopped right at its limit, and its answer should still
# come back in the same request.
WAIT_GRACE_SECONDS = 2.0


class RunRefused(Exception):
    """A manual run that was not started: `status` (400, 409), `code`, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class RunResult:
    """What a manual run gave: its value or error, logs, duration, record id."""

    execution_id: str
    script: str
    handler: str
    status: str  # ok, error, timeout, memory_limit; refused: it did not run
    result: object = None
    logs: list[dict] = field(default_factory=list)
    duration_ms: float = 0.0
    # {code, message, line, column, stack}: message says where (file:line:col).
    error: dict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict:
        """The REST API's and the admin's shape of it."""
        return {
            "executionId": self.execution_id,
            "script": self.script,
            "handler": self.handler,
            "status": self.status,
            "result": self.result,
            "logs": self.logs,
            "durationMs": round(self.duration_ms, 3),
            "error": self.error,
        }


@dataclass
class ManualRun:
    """A checked request to run a handler, ready to go (see `prepare`)."""

    tenant: object
    target: RouteTarget
    context: dict
    triggered_by: str
    user_id: int | None
    execution_id: str


def script_functions(source: str) -> list[str]:
    """Names of the functions a script declares at top level, in source order."""
    found = sorted(
        (m.start(), m.group(1))
        for pattern in (_FUNCTION, _ASSIGNED)
        for m in pattern.finditer(source)
    )
    names = dict.fromkeys(name for _, name in found)
    names.pop("init", None)  # init registers; it is no handler
    return list(names)


def parse_args(text: str | None):
    """The args of a run, given as JSON text; "" means {}. Raise RunRefused."""
    if text is None or not text.strip():
        return {}
    try:
        value = json_loads(text)
    except JSONInputError as exc:
        raise RunRefused(400, "bad_args", f"args is not valid JSON: {exc}") from None
    return checked_args(value)


def checked_args(value):
    """`value` if it is a JSON object or array ({} for None); else RunRefused."""
    if value is None:
        return {}
    if not isinstance(value, dict | list):
        raise RunRefused(
            400,
            "bad_args",
            f"args must be a JSON object or array, not {_json_type(value)}: it "
            'is the handler\'s context.args, e.g. {"name": "Ann"} or [1, 2].',
        )
    return value


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


def handler_of(script, handler: str | None) -> str:
    """The handler to run: `handler`, else main() if the script declares it."""
    functions = script_functions(script.source)
    listed = ", ".join(functions) or "none found"
    if not handler:
        if DEFAULT_HANDLER in functions:
            return DEFAULT_HANDLER
        raise RunRefused(
            400,
            "no_handler",
            f"Name the handler to run: {script.filename} has no main() "
            f"(its functions: {listed}).",
        )
    if not IDENTIFIER.match(handler):
        raise RunRefused(
            400,
            "bad_handler",
            f"'{handler[:100]}' is not a function name (letters, digits, '_' "
            f"and '$', not starting with a digit); {script.filename}'s "
            f"functions: {listed}.",
        )
    if handler not in functions and not re.search(
        rf"(?<![\w$.]){re.escape(handler)}(?![\w$])", script.source
    ):
        raise RunRefused(
            400,
            "handler_not_found",
            f"{script.filename} has no function '{handler}' (its functions: {listed}).",
        )
    return handler


def prepare(script, handler, args, *, triggered_by: str = KIND, user=None):
    """Check a request to run `handler` of `script`; return the ManualRun.

    `args` is the parsed JSON (parse_args turns text into it). Raises
    RunRefused when the args are not an object or array, the handler is
    missing, or the script is disabled. Reads the user's role (the
    context.user permissions), so call it off the event loop.
    """
    from scripts_app.http import auth_for
    from tenants.models import role_of

    args = checked_args(args)
    if not script.enabled:
        raise RunRefused(
            409,
            "script_disabled",
            f"Script '{script.name}' is disabled; enable it to run it.",
        )
    name = handler_of(script, handler)
    tenant = script.tenant
    from scripts_app.policy import permissions_for

    auth, user_info = auth_for(
        user,
        role_of(user, tenant) if user else None,
        permissions=permissions_for(user, tenant, script) if user else None,
    )
    target = RouteTarget(
        script.id,
        script.name,
        script.version,
        name,
        f"{name}()",
        capabilities=tuple(script.capabilities or ()),
    )
    context = {"args": args, "user": user_info, "meta": {"handler": name}}
    return ManualRun(
        tenant=tenant,
        target=target,
        context=context,
        triggered_by=triggered_by,
        user_id=user.pk if user is not None and user.is_authenticated else None,
        execution_id=str(ids.uuid7()),
    )


async def run_prepared(manual: ManualRun) -> RunResult:
    """Run a prepared manual run (any event loop); return its RunResult."""
    target = manual.target
    await _note(pending_runs.note_started, manual)
    try:
        outcome = await run(
            KIND,
            manual.tenant,
            target,
            manual.context,
            trigger=f"{manual.triggered_by} run {target.handler}()",
            user_id=manual.user_id,
            triggered_by=manual.triggered_by,
            keep_result=True,
            execution_id=manual.execution_id,
        )
    except BaseException:
        pending_runs.forget(manual.execution_id)
        raise
    result = RunResult(
        execution_id=manual.execution_id,
        script=target.script_name,
        handler=target.handler,
        status="ok",
        result=outcome.value,
        logs=[_log(entry) for entry in outcome.logs],
        duration_ms=outcome.duration_ms,
    )
    err = outcome.error
    if err is not None:
        result.result = None
        if isinstance(err, Overloaded):
            result.status = "refused"
        else:
            result.status = {"timeout": "timeout", "memory_limit": "memory_limit"}.get(
                err.code, "error"
            )
        message = (
            f"Handler '{target.handler}' is not a function in {target.filename}"
            if err.code == "handler_not_found"
            else error_text(err, target)
        )
        result.error = {
            "code": err.code,
            "message": message,
            "line": err.line,
            "column": err.column,
            "stack": err.stack,
        }
    await _note(pending_runs.note_finished, manual, result)
    return result


async def _note(function, *args) -> None:
    """Call a pending_runs note; in a worker thread when it writes to Redis."""
    if settings.REDIS_URL:
        await sync_to_async(function, thread_sensitive=False)(*args)
    else:
        function(*args)


async def run_now(
    script, handler: str | None, args, *, triggered_by: str = KIND, user=None
) -> RunResult:
    """Run `handler` (default main) of `script` with context.args = `args`.

    The one function behind the admin's "Run now", POST
    /system/api/scripts/<id>/run, the runScript mutation and manage.py
    run_script. Raises RunRefused when nothing could be run.
    """
    manual = await sync_to_async(prepare)(
        script, handler, args, triggered_by=triggered_by, user=user
    )
    return await run_prepared(manual)


def run_now_sync(script, handler, args, *, triggered_by: str = KIND, user=None):
    """run_now for sync code (the admin's view, manage.py), waiting for the end."""
    return async_to_sync(run_now)(
        script, handler, args, triggered_by=triggered_by, user=user
    )


def time_limit() -> float:
    """The manual kind's time limit, in seconds (SCRIPTS["LIMITS"]["cron"])."""
    return limits(KIND).seconds


def default_wait() -> float:
    return time_limit() + WAIT_GRACE_SECONDS


def _log(entry: dict) -> dict:
    """An engine log entry as the API shows it: level, message, fields, time."""
    millis = entry.get("time")
    when = (
        datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
        if millis
        else None
    )
    return {
        "level": entry.get("level", "LOG"),
        "message": str(entry.get("message", "")),
        "fields": entry.get("fields") or {},
        "time": when,
    }
