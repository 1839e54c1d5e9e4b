"""core.sqlite: write transactions take a file lock, so writers queue in the kernel.

SQLite only (the embedded stack); on PostgreSQL these tests have nothing to
test and do not run.
"""

import fcntl
import os
import threading

import pytest
from django.db import connection, connections, transaction

from tenants.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

needs_sqlite_file = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the gate belongs to the SQLite backend"
)


def gate_path() -> str:
    return os.path.abspath(str(connection.settings_dict["NAME"])) + "-writer.lock"


def someone_else_holds_it() -> bool:
    """Can another open file description take the lock right now?"""
    fd = os.open(gate_path(), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@needs_sqlite_file
def test_the_default_database_uses_the_gated_backend():
    assert type(connections["default"]).__module__ == "core.sqlite.base"


@needs_sqlite_file
def test_a_transaction_holds_the_gate_until_it_commits():
    with transaction.atomic():
        Tenant.objects.create(slug="gated", name="Gated")
        assert someone_else_holds_it()
    assert not someone_else_holds_it()
    assert Tenant.objects.filter(slug="gated").exists()


@needs_sqlite_file
def test_a_rolled_back_transaction_gives_the_gate_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        Tenant.objects.create(slug="gone", name="Gone")
        raise RuntimeError("no")
    assert not someone_else_holds_it()
    assert not Tenant.objects.filter(slug="gone").exists()


@needs_sqlite_file
def test_a_second_writer_waits_for_the_first_then_goes_on():
    order = []

    def second():
        try:
            with transaction.atomic():
                order.append("second")
                Tenant.objects.create(slug="second", name="Second")
        finally:
            connections.close_all()

    with transaction.atomic():
        Tenant.objects.create(slug="first", name="First")
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive(), "the second writer did not wait for the first"
        order.append("first")
    thread.join(30)

    assert not thread.is_alive()
    assert order == ["first", "second"]
    assert set(
        Tenant.objects.filter(slug__in=["first", "second"]).values_list(
            "slug", flat=True
        )
    ) == {"first", "second"}


@needs_sqlite_file
def test_a_writer_waiting_on_its_own_process_gives_up_as_sqlite_would():
    # A transaction that waited for another thread's write would wait forever
    # on a lock that cannot time out; this one gives SQLite's error instead.
    from django.db import OperationalError

    options = connection.settings_dict["OPTIONS"]
    before = options.get("timeout")
    failures = []

    def second():
        try:
            with transaction.atomic():
                Tenant.objects.create(slug="late", name="Late")
        except OperationalError as exc:
            failures.append(str(exc))
        finally:
            connections.close_all()

    options["timeout"] = 0.2
    try:
        with transaction.atomic():
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(30)
            assert not thread.is_alive(), "the waiting writer never gave up"
    finally:
        if before is None:
            options.pop("timeout", None)
        else:
            options["timeout"] = before

    assert failures and "database is locked" in failures[0]
    assert not Tenant.objects.filter(slug="late").exists()
