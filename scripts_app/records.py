"""Write execution rows and logs in batches, off the request path."""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from datetime import UTC, datetime
from functools import partial

from django.db import close_old_connections, connections, router, transaction

from core.conf import derived, scripts_setting

log = logging.getLogger(__name__)


@derived
def _writer_settings() -> tuple[float, int]:
    """(RECORD_FLUSH_SECONDS, RECORD_BATCH_SIZE), read once per change."""
    return (
        scripts_setting("RECORD_FLUSH_SECONDS"),
        scripts_setting("RECORD_BATCH_SIZE"),
    )


class RecordBuffer:
    """Collect Execution and LogEntry rows in memory and write them together.

    A background thread flushes every RECORD_FLUSH_SECONDS, sooner when a
    batch fills. 0 turns the thread off (it ends at its next wake-up): rows
    then wait for flush(). A failed write keeps its rows queued for the next
    flush, and a clean exit flushes whatever is left.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._executions: list[dict] = []
        self._logs: list[dict] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping: threading.Thread | None = None
        self._flush_lock = threading.Lock()

    def add(self, execution: dict, logs: list[dict]) -> None:
        with self._lock:
            self._executions.append(execution)
            if logs:
                self._logs.extend(logs)
            size = len(self._executions) + len(self._logs)
        interval, batch_size = _writer_settings()
        if interval > 0:
            self._ensure_thread()
            if size >= batch_size:
                self._wake.set()

    def add_logs(self, logs: list[dict]) -> None:
        with self._lock:
            self._logs.extend(logs)
        if _writer_settings()[0] > 0:
            self._ensure_thread()

    def clear(self) -> int:
        """Drop every queued row unwritten; return how many (tests start empty)."""
        with self._lock:
            dropped = len(self._executions) + len(self._logs)
            self._executions, self._logs = [], []
        return dropped

    def pending(self) -> int:
        with self._lock:
            return len(self._executions) + len(self._logs)

    def _ensure_thread(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="scripthost-records", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the writer thread after its current round; wait for it."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = thread
        self._wake.set()
        thread.join(timeout)

    def _run(self):
        me = threading.current_thread()
        while self._stopping is not me:
            interval = _writer_settings()[0]
            if interval <= 0:
                return
            self._wake.wait(interval)
            self._wake.clear()
            if _writer_settings()[0] <= 0:
                return  # turned off while asleep: the rows wait for flush()
            try:
                self.flush()
            except Exception:  # keep the writer alive; the rows stay queued
                log.exception("Writing execution records failed; will retry")
            finally:
                close_old_connections()

    def flush(self) -> int:
        """Write everything queued so far; return the number of rows written."""
        with self._flush_lock:
            with self._lock:
                executions, self._executions = self._executions, []
                logs, self._logs = self._logs, []
            if not executions and not logs:
                return 0
            # Imported here: an exit before Django is set up has nothing to write.
            from scripts_app import live_logs
            from scripts_app.models import Execution, LogEntry

            try:
                with transaction.atomic():
                    executions, logs = _without_dangling(executions, logs)
                    _insert(Execution, executions)
                    _insert(LogEntry, logs)
                    if logs:
                        # After the commit (of the caller's transaction when
                        # there is one): the admins' live-log panels.
                        transaction.on_commit(
                            partial(live_logs.publish, logs), robust=True
                        )
            except Exception:
                with self._lock:  # put them back, oldest first
                    self._executions[:0] = executions
                    self._logs[:0] = logs
                raise
            return len(executions) + len(logs)


# -- inserting rows -----------------------------------------------------------------
#
# bulk_create costs about 100 us of CPU per Execution row (a model instance,
# then the SQL compiler preparing each field), as much as the rest of a fast
# path request; and the writer thread takes the GIL from the requests. The rows
# here are plain field values, so they go in with one executemany, each value
# prepared by its field (get_db_prep_save) unless that is known to return it
# unchanged.

BATCH_ROWS = 500
# Values whose preparation by a field may be skipped when the field, on this
# database, returns a value of that exact type unchanged (probed once).
_SAMPLES = (None, "x", 7, 1.5, uuid.UUID(int=1))


class _InsertPlan:
    """How to insert plain rows of one model on one database."""

    def __init__(self, model, connection):
        opts = model._meta
        self.model = model
        self.fields = [
            f
            for f in opts.concrete_fields
            if not (f.primary_key and getattr(f, "db_returning", False))
        ]
        # auto_now fields are set by Model.pre_save: the ORM must write those.
        self.needs_orm = any(
            getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            for f in self.fields
        )
        self.known = frozenset(f.attname for f in self.fields)
        self.columns = [
            (f.attname, f, self._unchanged_types(f, connection)) for f in self.fields
        ]
        qn = connection.ops.quote_name
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            qn(opts.db_table),
            ", ".join(qn(f.column) for f in self.fields),
            ", ".join(["%s"] * len(self.fields)),
        )

    @staticmethod
    def _unchanged_types(field, connection) -> frozenset:
        unchanged = set()
        for sample in _SAMPLES:
            try:
                if field.get_db_prep_save(sample, connection) is sample:
                    unchanged.add(type(sample))
            except Exception:  # noqa: BLE001, S112 - not a type this field takes
                continue
        return frozenset(unchanged)

    def params(self, row: dict, connection) -> list:
        if not row.keys() <= self.known:
            unknown = sorted(row.keys() - self.known)
            raise TypeError(f"{self.model.__name__} has no field {unknown[0]!r}")
        values = []
        for attname, field, unchanged in self.columns:
            value = row[attname] if attname in row else field.get_default()
            if type(value) not in unchanged:
                value = field.get_db_prep_save(value, connection)
            values.append(value)
        return values


_plans: dict = {}


def _insert(model, rows: list[dict]) -> None:
    """Insert rows of field values ({attname: value}) as bulk_create would.

    Missing fields get their defaults; an unknown field is a TypeError.
    """
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    plan = _plans.get((model, alias, connection.vendor))
    if plan is None:
        plan = _plans[(model, alias, connection.vendor)] = _InsertPlan(
            model, connection
        )
    if plan.needs_orm:
        model.objects.bulk_create([model(**r) for r in rows], batch_size=BATCH_ROWS)
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            cursor.executemany(plan.sql, [plan.params(r, connection) for r in batch])


def _without_dangling(executions, logs):
    """Detach rows from scripts deleted since they were queued; drop gone tenants'.

    Otherwise one deleted script would fail every later write (its foreign
    key) and jam the queue for good. A row's script_name still says whose it is.
    """
    rows = [*executions, *logs]
    script_ids = {r["script_id"] for r in rows if r.get("script_id")}
    scripts, tenants = _existing(script_ids, {r["tenant_id"] for r in rows})
    for row in rows:
        if row.get("script_id") and row["script_id"] not in scripts:
            row["script_id"] = None
    return (
        [e for e in executions if e["tenant_id"] in tenants],
        [e for e in logs if e["tenant_id"] in tenants],
    )


def _existing(script_ids: set, tenant_ids: set) -> tuple[set, set]:
    """Which of these scripts and tenants still exist: one plain query.

    (Two ORM queries cost more CPU than the insert they guard: the writer
    flushes several times a second, and a scheduler worker once per batch of
    ended runs.)
    """
    from scripts_app.models import Script
    from tenants.models import Tenant

    if not script_ids and not tenant_ids:
        return set(), set()
    connection = connections[router.db_for_read(Script)]
    qn = connection.ops.quote_name
    parts, params = [], []
    for kind, model, ids in ((0, Script, script_ids), (1, Tenant, tenant_ids)):
        if ids:
            pk = qn(model._meta.pk.column)
            parts.append(
                f"SELECT {kind}, {pk} FROM {qn(model._meta.db_table)} "
                f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})"
            )
            params.extend(ids)
    found: tuple[set, set] = (set(), set())
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, pk in cursor.fetchall():
            found[kind].add(pk)
    return found


def log_rows(tenant_id, script_id, script_name, execution_id, logs, extra=()):
    """Turn the engine's log entries into LogEntry field dicts."""
    rows = []
    for entry in [*logs, *extra]:
        rows.append(
            {
                "tenant_id": tenant_id,
                "script_id": script_id,
                "script_name": script_name,
                "execution_id": execution_id,
                "level": entry.get("level", "LOG"),
                "message": str(entry.get("message", "")),
                "fields": entry.get("fields") or {},
                "time": datetime.fromtimestamp(entry.get("time", 0) / 1000, tz=UTC)
                if entry.get("time")
                else datetime.now(tz=UTC),
            }
        )
    return rows


def log_for(invocation, level: str, *messages: str) -> None:
    """Queue log entries for an invocation (tied to its execution)."""
    _buffer.add_logs(
        log_rows(
            invocation.tenant.id,
            invocation.script_id,
            invocation.script_name,
            invocation.execution_id,
            [],
            [{"level": level, "message": message} for message in messages],
        )
    )


_buffer = RecordBuffer()


def buffer() -> RecordBuffer:
    return _buffer


def flush_at_shutdown() -> None:
    """Stop the writer thread and write what is left; never raise."""
    try:
        _buffer.stop()
        _buffer.flush()
    except Exception:  # noqa: BLE001 - nothing left to report to
        log.exception("Could not write the last execution records at shutdown")


# Servers that re-raise SIGTERM after shutting down (uvicorn) skip atexit; they
# call flush_at_shutdown through the ASGI lifespan instead (scripts_app.asgi).
atexit.register(flush_at_shutdown)
