"""Execution bookkeeping: an invocation's Execution row and logs, queued for writing."""

from __future__ import annotations

import json

from core.conf import scripts_setting
from engine import EngineError, Outcome
from scripts_app.admission import refused
from scripts_app.records import buffer, log_rows
from scripts_app.routing import RouteTarget


def error_text(err: EngineError, target: RouteTarget) -> str:
    """Say what failed and where, in the uploaded file's line numbers (R12)."""
    if err.code == "handler_not_found":
        return (
            f"Handler '{target.handler}' of route {target.pattern} is not a "
            f"function in {target.filename}"
        )
    if err.line:
        column = f":{err.column}" if err.column else ""
        return f"{err.message} ({target.filename}:{err.line}{column})"
    return err.message


def queue_execution(
    tenant_id,
    target: RouteTarget,
    kind: str,
    trigger: str,
    outcome: Outcome,
    execution_id,
    started_at,
    *,
    response_status: int | None = None,
    failure: str = "",
    warning: str = "",
    triggered_by: str = "",
    ref: str = "",
    keep_result: bool = False,
) -> None:
    """Queue an invocation's Execution row and logs, of any kind.

    `failure` says why an answer that ran fine was refused (an HTTP reply the
    platform could not send); it marks the execution as an error. `warning`
    is logged at WARN about an answer that was sent (a handler that returned
    nothing). An
    invocation the tenant's cap refused ran nothing and gets no row
    (scripts_app.admission counts and logs it). `ref` names the object that
    started it ("job:17"); `keep_result` keeps the handler's return value
    (result_text) in the row.
    """
    if refused(outcome):
        return
    err = outcome.error
    state, error, extra = "ok", "", []
    if err is not None:
        state = {"timeout": "timeout", "memory_limit": "memory_limit"}.get(
            err.code, "error"
        )
        error = error_text(err, target)
        thrown = err.code == "runtime_error" and not error.startswith("Uncaught")
        uncaught = "Uncaught " if thrown else ""
        stack = f"\n{err.stack}" if err.stack else ""
        extra.append({"level": "ERROR", "message": f"{uncaught}{error}{stack}"})
    elif failure:
        state, error = "error", failure
        extra.append({"level": "ERROR", "message": failure})
    elif warning:
        extra.append({"level": "WARN", "message": warning})
    if outcome.dropped_logs:
        extra.append(
            {
                "level": "WARN",
                "message": f"{outcome.dropped_logs} more log entries were dropped",
            }
        )
    buffer().add(
        {
            "id": execution_id,
            "tenant_id": tenant_id,
            "script_id": target.script_id,
            "script_name": target.script_name,
            "version": target.version,
            "kind": kind,
            "handler": target.handler,
            "trigger": trigger[:300],
            "triggered_by": triggered_by,
            "ref": ref[:100],
            "status": state,
            "result": result_text(outcome.value) if keep_result and err is None else "",
            "response_status": response_status,
            "duration_ms": round(outcome.duration_ms, 3),
            "error": error,
            "started_at": started_at,
        },
        log_rows(
            tenant_id,
            target.script_id,
            target.script_name,
            execution_id,
            outcome.logs,
            extra,
        ),
    )


def result_text(value) -> str:
    """A handler's return value as the JSON an execution record keeps, capped.

    Cut at SCRIPTS["EXECUTION_RESULT_CHARS"] characters, with a marker that
    says how long it was; "" for undefined (None).
    """
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    cap = scripts_setting("EXECUTION_RESULT_CHARS")
    if len(text) <= cap:
        return text
    return text[:cap] + f"... [cut: {len(text)} characters in all]"


def stored_result(text: str) -> tuple[object, bool]:
    """(value, cut) of an Execution.result: its JSON's value, or the cut text.

    The inverse of result_text: (None, False) for none kept.
    """
    if not text:
        return None, False
    try:
        return json.loads(text), False
    except ValueError:
        return text, True
