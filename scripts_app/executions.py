"""Execution bookkeeping: an invocation's Execution row and logs, queued for writing."""

from __future__ import annotations

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
) -> None:
    """Queue an invocation's Execution row and logs, of any kind.

    `failure` says why an answer that ran fine was refused (an HTTP reply the
    platform could not send); it marks the execution as an error. An
    invocation the tenant's cap refused ran nothing and gets no row
    (scripts_app.admission counts and logs it).
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
            "status": state,
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
