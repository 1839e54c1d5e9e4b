"""Upload and delete scripts: validate, analyse in V8, store, publish routes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from engine import CompileError, ScriptSource
from scripts_app.conf import scripts_setting
from scripts_app.engines import engine, run_sync
from scripts_app.header import HeaderError, parse_header
from scripts_app.models import Route, Script, ScriptVersion, validate_script_name
from scripts_app.records import buffer, log_rows
from scripts_app.routing import reserved, routes
from scripts_app.runner import init_context


class ScriptRejected(Exception):
    """An upload that cannot be stored; carries the HTTP status and details."""

    def __init__(self, status, code, message, line=None, column=None, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.details = details

    def extra(self):
        return {"line": self.line, "column": self.column, "details": self.details}


@dataclass
class Saved:
    script: Script
    created: bool
    registrations: dict


def check_name(name: str) -> None:
    try:
        validate_script_name(name)
    except Exception:  # noqa: BLE001 - turned into a 400 with the rule
        raise ScriptRejected(
            400,
            "invalid_script_id",
            "A script id is 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
        ) from None


@dataclass
class Prepared:
    """A source that passed every check and is ready to store."""

    tenant: object
    name: str
    source: str
    header: dict
    registrations: dict
    logs: list


def save_script(tenant, name: str, source, user=None) -> Saved:
    """Analyse and store a script version, making it live everywhere.

    Raises ScriptRejected (and stores nothing) when the source is too large,
    does not compile, fails in its top level or init(), or registers routes
    that are invalid or taken by another script.
    """
    return store(prepare(tenant, name, source), user)


def prepare(tenant, name: str, source) -> Prepared:
    """Check a source in V8 without storing anything; raise ScriptRejected."""
    check_name(name)
    if isinstance(source, bytes):
        if len(source) > scripts_setting("MAX_SOURCE_BYTES"):
            raise _too_large(len(source))
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise ScriptRejected(
                400, "invalid_encoding", "The script is not valid UTF-8."
            ) from None
    size = len(source.encode("utf-8"))
    if size > scripts_setting("MAX_SOURCE_BYTES"):
        raise _too_large(size)
    if not source.strip():
        raise ScriptRejected(400, "empty_script", "The script is empty.")
    try:
        header = parse_header(source)
    except HeaderError as exc:
        raise ScriptRejected(400, "invalid_header", str(exc), line=exc.line) from None

    probe = Script.objects.filter(tenant=tenant, name=name).first() or Script(
        tenant=tenant, name=name
    )
    try:
        outcome = run_sync(
            _analyze, ScriptSource(source, probe.filename, init_context(tenant, probe))
        )
    except CompileError as exc:
        raise ScriptRejected(
            400,
            "compile_error",
            f"{exc.message} (line {exc.line}, column {exc.column})",
            line=exc.line,
            column=exc.column,
        ) from None
    if outcome.error is not None:
        err = outcome.error
        what = {
            "timeout": "init() did not finish",
            "memory_limit": "init() ran out of memory",
        }.get(err.code, "The script failed while loading")
        raise ScriptRejected(
            400,
            "init_failed" if err.code != "runtime_error" else "script_error",
            f"{what}: {err.message}",
            line=err.line,
            column=err.column,
            details={"stack": err.stack} if err.stack else None,
        )
    if outcome.registration_errors:
        raise ScriptRejected(
            400,
            "invalid_registration",
            "; ".join(outcome.registration_errors),
            details={"errors": outcome.registration_errors},
        )
    registrations = outcome.registrations or {"routes": []}
    declared = registrations.get("routes", [])
    for route in declared:
        if reserved(route["path"]):
            raise ScriptRejected(
                400,
                "reserved_path",
                f"Route {route['method']} {route['path']} is under a path the platform "
                "serves itself (/system, /api, /admin, /graphql, /health, /metrics, "
                "/custom, /static, /t/).",
            )
    _check_route_clashes(tenant, name, declared)
    return Prepared(tenant, name, source, header, registrations, outcome.logs)


def store(prepared: Prepared, user=None) -> Saved:
    """Store a prepared version and its routes in one transaction."""
    tenant, name = prepared.tenant, prepared.name
    user = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            script = (
                Script.objects.select_for_update()
                .filter(tenant=tenant, name=name)
                .first()
            )
            created = script is None
            if created:
                script = Script(tenant=tenant, name=name, version=1)
            else:
                script.version += 1
            script.source = prepared.source
            script.header = prepared.header
            script.registrations = prepared.registrations
            script.author = user
            script.save()
            ScriptVersion.objects.create(
                script=script,
                number=script.version,
                source=prepared.source,
                author=user,
            )
            declared = prepared.registrations.get("routes", [])
            _check_route_clashes(tenant, name, declared)
            Route.objects.filter(script=script).delete()
            Route.objects.bulk_create(
                [
                    Route(
                        tenant=tenant,
                        script=script,
                        method=r["method"],
                        path=r["path"],
                        handler=r["handler"],
                    )
                    for r in declared
                ]
            )
    except IntegrityError:
        raise ScriptRejected(
            409, "conflict", "The script was changed at the same time; try again."
        ) from None
    routes().invalidate()
    if prepared.logs:
        buffer().add_logs(
            log_rows(tenant.id, script.id, script.name, None, prepared.logs)
        )
    return Saved(script, created, prepared.registrations)


def _check_route_clashes(tenant, name, declared) -> None:
    taken = {
        (method, path): other
        for method, path, other in Route.objects.filter(tenant=tenant)
        .exclude(script__name=name)
        .values_list("method", "path", "script__name")
    }
    clashes = [
        f"{r['method']} {r['path']} (already registered by script '{taken[(r['method'], r['path'])]}')"
        for r in declared
        if (r["method"], r["path"]) in taken
    ]
    if clashes:
        raise ScriptRejected(
            409, "route_conflict", "Route taken: " + "; ".join(clashes)
        )


def delete_script(script: Script) -> None:
    script.delete()
    routes().invalidate()


async def _analyze(source: ScriptSource):
    return await engine().analyze(source)


def _too_large(size):
    limit = scripts_setting("MAX_SOURCE_BYTES")
    return ScriptRejected(
        413, "too_large", f"The script is {size} bytes; the limit is {limit} bytes."
    )


__all__ = [
    "Prepared",
    "Saved",
    "ScriptRejected",
    "delete_script",
    "prepare",
    "save_script",
    "store",
]
