"""The storage hot path in plain SQL: the read, the rows a write checks, the update.

Every storage read and every write's compare-and-set run these two queries.
Built by the ORM, each cost several times its run time in query compilation,
and they run in the one thread per process that talks to the database for
scripts (and on SQLite inside the one write transaction every process waits
for). The SQL is made once per database connection's vendor, from the model's
own table and column names, and the values come back converted as the ORM
would convert them (UUIDs, aware datetimes).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from django.db import connection
from django.utils.dateparse import parse_datetime

from storage_app.models import StoredItem

_META = StoredItem._meta
# What check_reads needs of a row (write() reads these, and updates by id).
CHECKED = ("id", "namespace", "key", "version", "size", "script_name", "expires_at")


# What update_rows writes.
UPDATED = ("value", "size", "expires_at", "version", "updated_at", "script_name")


def _column(name: str) -> str:
    return connection.ops.quote_name(_META.get_field(name).column)


def _table() -> str:
    return connection.ops.quote_name(_META.db_table)


@functools.cache
def _read_sql(vendor: str) -> str:
    return (
        f"SELECT {_column('value')}, {_column('version')}, {_column('expires_at')}"
        f" FROM {_table()}"
        f" WHERE {_column('tenant')} = %s AND {_column('namespace')} = %s"
        f" AND {_column('key')} = %s"
    )


@functools.cache
def _update_sql(vendor: str) -> str:
    assignments = ", ".join(f"{_column(name)} = %s" for name in UPDATED)
    return f"UPDATE {_table()} SET {assignments} WHERE {_column('id')} = %s"


def read_row(tenant_id: int, namespace: str, key: str):
    """(value, version, expires_at) of one key, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(connection.vendor), [tenant_id, namespace, key])
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], as_uuid(row[1]), as_datetime(row[2])


def checked_rows(tenant_id: int, keys: dict[str, list[str]]) -> list[StoredItem]:
    """The rows of `keys` ({namespace: [key, ...]}), locked where rows lock.

    In (namespace, key) order, so two writers of the same keys lock them in
    the same order and cannot deadlock (PostgreSQL; SQLite has one writer).
    """
    ns, key = _column("namespace"), _column("key")
    clauses, params = [], [tenant_id]
    for namespace, names in keys.items():
        clauses.append(f"({ns} = %s AND {key} IN ({', '.join(['%s'] * len(names))}))")
        params += [namespace, *names]
    sql = (
        f"SELECT {', '.join(_column(name) for name in CHECKED)}"
        f" FROM {_table()}"
        f" WHERE {_column('tenant')} = %s AND ({' OR '.join(clauses)})"
        f" ORDER BY {ns}, {key}"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        StoredItem(
            id=row[0],
            tenant_id=tenant_id,
            namespace=row[1],
            key=row[2],
            version=as_uuid(row[3]),
            size=row[4],
            script_name=row[5],
            expires_at=as_datetime(row[6]),
        )
        for row in found
    ]


def update_rows(rows: list[StoredItem]) -> None:
    """Write the UPDATED fields of rows that exist, one prepared statement for all.

    What bulk_update does, without its CASE WHEN per field: that statement
    costs more to build than to run, and every writer of the database waits
    while the transaction holds SQLite's one write lock.
    """
    fields = [_META.get_field(name) for name in UPDATED]
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_update_sql(connection.vendor), params)


def as_uuid(value):
    return _META.get_field("version").to_python(value)


def as_datetime(value) -> datetime | None:
    """A stored datetime as the ORM gives it: aware, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without a converter for the column
        value = parse_datetime(value)
    if value.tzinfo is None:  # SQLite stores UTC without an offset
        value = value.replace(tzinfo=UTC)
    return value
