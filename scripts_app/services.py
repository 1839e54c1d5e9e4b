"""Upload and delete scripts: validate, analyse in V8, store, publish routes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from core.conf import scripts_setting
from core.plugins import overriding, source_body
from engine import CompileError, ScriptSource
from scripts_app.engines import engine, run_sync
from scripts_app.header import HeaderError, parse_header, runs_strict
from scripts_app.models import Route, Script, ScriptVersion, validate_script_name
from scripts_app.records import buffer, log_rows
from scripts_app.routing import reserved, reserved_prefixes
from scripts_app.sources import init_context


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
    warnings: list[str] = field(default_factory=list)


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
    # The registrations the script made that failed (each call returned its
    # "Error: ..." string and registered nothing), without the "Error: ".
    warnings: list[str] = field(default_factory=list)


def save_script(tenant, name: str, source, user=None) -> Saved:
    """Analyse and store a script version, making it live everywhere.

    Raises ScriptRejected (and stores nothing) when the source is too large,
    does not compile, fails in its top level or init(), or registers paths
    the platform keeps or another script holds. A registration call that
    failed (a bad path, a missing handler) does not refuse the upload: the
    call returned its error, and Saved.warnings lists it.
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
                400,
                "invalid_encoding",
                "The script is not valid UTF-8; save the file as UTF-8 and upload it "
                "again.",
            ) from None
    size = len(source.encode("utf-8"))
    if size > scripts_setting("MAX_SOURCE_BYTES"):
        raise _too_large(size)
    if not source.strip():
        raise ScriptRejected(
            400, "empty_script", "The script is empty; send its source as the body."
        )
    try:
        header = parse_header(source)
    except HeaderError as exc:
        raise ScriptRejected(
            400,
            "invalid_header",
            f"Invalid header comment (line {exc.line}): {exc}",
            line=exc.line,
        ) from None

    probe = Script.objects.filter(tenant=tenant, name=name).first() or Script(
        tenant=tenant, name=name
    )
    try:
        outcome = run_sync(
            _analyze,
            ScriptSource(
                source,
                probe.filename,
                init_context(tenant, probe),
                strict=runs_strict(header),
                body_function=source_body(header),
            ),
        )
    except CompileError as exc:
        line, column = _within_source(source, exc.line, exc.column)
        raise ScriptRejected(
            400,
            "compile_error",
            f"{exc.message} (line {line}, column {column})",
            line=line,
            column=column,
        ) from None
    if outcome.error is not None:
        raise _load_failure(outcome.error)
    # A registration call that failed returned its error to the script and
    # registered nothing; the upload goes through with the others, and its
    # answer lists the failures as warnings.
    warnings = [str(problem) for problem in outcome.registration_errors]
    registrations = outcome.registrations or {"routes": []}
    _check_counts(registrations)
    refused = [
        f"{r['method']} {r['path']}"
        for r in registrations.get("routes", [])
        if reserved(r["path"])
    ]
    refused += [
        p
        for app in overriding("refused_script_paths")
        for p in app.refused_script_paths(registrations)
    ]
    if refused:
        raise ScriptRejected(
            400,
            "reserved_path",
            f"Reserved path: {', '.join(refused)}. The platform serves "
            f"{', '.join(reserved_prefixes())} itself; register routes elsewhere.",
            details={"routes": refused},
        )
    _check_route_clashes(tenant, name, declared_routes(registrations))
    _check_app_clashes(tenant, name, registrations)
    return Prepared(tenant, name, source, header, registrations, outcome.logs, warnings)


def _check_counts(registrations: dict) -> None:
    """Refuse more routes, or registrations of one kind, than a script may have.

    Each costs every process memory and work (route tables, directories) for
    as long as the script exists, so one upload must not register without end.
    """
    routes = len(declared_routes(registrations))
    limit = scripts_setting("MAX_ROUTES_PER_SCRIPT")
    if routes > limit:
        raise _too_many("routes", routes, limit, "SCRIPT_MAX_ROUTES_PER_SCRIPT")
    limit = scripts_setting("MAX_REGISTRATIONS_PER_SCRIPT")
    for kind, registered in registrations.items():
        count = len(registered) if isinstance(registered, list | dict) else 0
        if count > limit:
            raise _too_many(kind, count, limit, "SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT")


def _too_many(kind: str, count: int, limit: int, setting: str) -> ScriptRejected:
    if kind == "routes":
        what = f"registers {count:,} routes"
    else:
        what = f"makes {count:,} registrations of kind '{kind}'"
    return ScriptRejected(
        400,
        "too_many_registrations",
        f"The script {what}; a script may register at most "
        f"{limit:,} ({setting}). Nothing was stored.",
        details={"kind": kind, "count": count, "limit": limit},
    )


def declared_routes(registrations: dict) -> list[dict]:
    """The route-table entries of an upload: its handler routes, then the apps'.

    Each is {method, path, handler, kind, resource}; an app's entries (an
    asset route) have a kind and a resource instead of a handler.
    """
    entries = [
        {**r, "kind": "", "resource": ""} for r in registrations.get("routes", [])
    ]
    for app in overriding("script_routes"):
        entries += [{"handler": "", **r} for r in app.script_routes(registrations)]
    return entries


def _check_app_clashes(tenant, name, registrations) -> None:
    """Refuse what the apps that keep registrations say clashes (streams...)."""
    clashes = [
        c
        for app in overriding("check_script_registrations")
        for c in app.check_script_registrations(tenant, name, registrations)
    ]
    _refuse_clashes(clashes)


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
            entries = declared_routes(prepared.registrations)
            _check_route_clashes(tenant, name, entries)
            Route.objects.filter(script=script).delete()
            Route.objects.bulk_create(
                [
                    Route(
                        tenant=tenant,
                        script=script,
                        method=r["method"],
                        path=r["path"],
                        handler=r["handler"],
                        kind=r["kind"],
                        resource=r["resource"],
                    )
                    for r in entries
                ]
            )
            _check_app_clashes(tenant, name, prepared.registrations)
            for app in overriding("store_script_registrations"):
                app.store_script_registrations(script, prepared.registrations)
    except IntegrityError:
        raise ScriptRejected(
            409, "conflict", "The script was changed at the same time; try again."
        ) from None
    # The refused registrations go to the script's logs too, where people
    # look later, not only to the answer of the upload.
    refused = [
        {"level": "WARN", "message": f"Registration refused at upload: {w}"}
        for w in prepared.warnings
    ]
    if prepared.logs or refused:
        buffer().add_logs(
            log_rows(tenant.id, script.id, script.name, None, prepared.logs, refused)
        )
    return Saved(script, created, prepared.registrations, prepared.warnings)


def _check_route_clashes(tenant, name, entries) -> None:
    """Refuse routes another script of the tenant holds.

    A route of an app's kind (an asset route) holds its whole path: no
    handler route of any method may share it, and it may not share a path
    with any other route.
    """
    taken, whole, paths = {}, {}, {}
    others = (
        Route.objects.filter(tenant=tenant)
        .exclude(script__name=name)
        .values_list("method", "path", "script__name", "kind")
    )
    for method, path, other, kind in others:
        if kind:
            whole[path] = other
        else:
            taken[(method, path)] = other
        paths.setdefault(path, other)
    clashes = []
    for r in entries:
        path = r["path"]
        if r["kind"]:
            holder = paths.get(path)
            method = r["kind"].upper()
        else:
            holder = taken.get((r["method"], path)) or whole.get(path)
            method = r["method"]
        if holder:
            clashes.append({"method": method, "path": path, "script": holder})
    _refuse_clashes(clashes)


def _refuse_clashes(clashes: list[dict]) -> None:
    """409 naming each path another script of the tenant already holds."""
    if not clashes:
        return
    listed = "; ".join(
        f"{c['method']} {c['path']} is already registered by script '{c['script']}'"
        for c in clashes
    )
    raise ScriptRejected(
        409,
        "route_conflict",
        f"{listed}. Change or delete that script first, or register another path.",
        details={"conflicts": clashes},
    )


def delete_script(script: Script) -> None:
    script.delete()


async def _analyze(source: ScriptSource):
    return await engine().analyze(source)


def _load_failure(err) -> ScriptRejected:
    """Describe a failure while running the top level and init()."""
    if err.code == "timeout":
        code = "init_timeout"
        message = (
            "The top level and init() did not finish within their "
            f"{scripts_setting('INIT_TIMEOUT_SECONDS'):g} s limit and were stopped; "
            "look for an endless loop or slow work at load time"
        )
    elif err.code == "memory_limit":
        code = "init_memory_limit"
        message = f"While loading (top level and init()): {err.message}"
    else:
        code = "init_failed"
        message = f"The script threw while loading (top level or init()): {err.message}"
    if err.line:
        message += f" (line {err.line}, column {err.column})"
    return ScriptRejected(
        400,
        code,
        message,
        line=err.line,
        column=err.column,
        details={"stack": err.stack} if err.stack else None,
    )


def _within_source(source: str, line, column):
    """Clamp a position past the end (V8's 'Unexpected end of input') to the end."""
    lines = source.split("\n")
    if line is None or line <= len(lines):
        return line, column
    return len(lines), len(lines[-1]) + 1


def _too_large(size):
    limit = scripts_setting("MAX_SOURCE_BYTES")
    return ScriptRejected(
        413,
        "too_large",
        f"The script is {size} bytes; the limit is {limit} bytes "
        "(SCRIPT_MAX_SOURCE_BYTES).",
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
