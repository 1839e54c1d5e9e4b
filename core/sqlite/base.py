"""SQLite with a writer gate: write transactions queue in the kernel, not in sleeps.

SQLite lets one transaction write at a time. A connection that finds the
database taken does not wait to be woken: its busy handler sleeps and tries
again in growing steps (1, 2, 5, 10, 15, 20, 25... ms). With several writers
(each server process's effect committer and record writer, Django's
per-request threads) most of the time goes to those sleeps: measured with two
workers, a storage write per request, 120 requests per second, the database
idle most of the time.

This backend takes an exclusive lock on a file next to the database
(`<name>-writer.lock`, flock) before it begins a transaction (the settings
make every transaction IMMEDIATE, so each takes SQLite's write lock at once
anyway) and gives it back at commit or rollback. Writers then wait in turn,
woken the moment the last one ends (threads of one process on a lock of the
process, processes on the file), and SQLite finds its lock free. A process
that dies holding the file lock loses it with its file descriptors.

- In-memory databases have no file to lock; they are left as they are.
- A thread that already holds the lock through another connection to the same
  database does not take it again (it would wait for itself); SQLite's busy
  timeout settles that case as before.
- Writes outside a transaction (autocommit statements) take no lock here;
  SQLite's busy handler still arbitrates them.
"""

from __future__ import annotations

import fcntl
import os
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_held = threading.local()  # .paths: the lock files the current thread holds
_locks: dict[str, threading.Lock] = {}  # lock path -> this process's lock
_locks_lock = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    found = _locks.get(path)
    if found is None:
        with _locks_lock:
            found = _locks.setdefault(path, threading.Lock())
    return found


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._gate_fd: int | None = None
        self._gate_path: str | None = None
        self._gate_taken = False

    # -- the gate ---------------------------------------------------------------------

    def _gate_file(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if not name or self.is_in_memory_db() or name.startswith("file:"):
            return None
        return os.path.abspath(name) + "-writer.lock"

    def _gate_enter(self) -> None:
        path = self._gate_file()
        if path is None:
            return
        held = _held.__dict__.setdefault("paths", set())
        if path in held:
            return  # this thread holds it already, through another connection
        if self._gate_fd is None or self._gate_path != path:
            self._gate_close()
            self._gate_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._gate_path = path
        self._gate_wait()
        held.add(path)
        self._gate_taken = True

    def _gate_wait(self) -> None:
        """Take this process's lock for the database, then the file's.

        Threads of one process queue on a threading lock, which can time out:
        a writer that waits for another thread of its own process (one that
        holds the lock and waits for this write) gives up after the
        connection's `timeout` option (5 s by default) with the error SQLite
        would give, instead of waiting forever. Only the thread holding it
        waits on the file lock, for other processes, woken by the kernel the
        moment they let go.
        """
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        local = _process_lock(self._gate_path)
        if not local.acquire(timeout=timeout):
            raise OperationalError(
                f"database is locked (another writer held it for {timeout:g} s)"
            )
        try:
            fcntl.flock(self._gate_fd, fcntl.LOCK_EX)
        except BaseException:
            local.release()
            raise

    def _gate_exit(self) -> None:
        if not self._gate_taken:
            return
        self._gate_taken = False
        _held.__dict__.setdefault("paths", set()).discard(self._gate_path)
        try:
            fcntl.flock(self._gate_fd, fcntl.LOCK_UN)
        finally:
            _process_lock(self._gate_path).release()

    def _gate_close(self) -> None:
        self._gate_exit()
        if self._gate_fd is not None:
            os.close(self._gate_fd)
            self._gate_fd = None

    # -- where transactions begin and end ---------------------------------------

    def _start_transaction_under_autocommit(self):
        self._gate_enter()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._gate_exit()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._gate_exit()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._gate_exit()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._gate_close()
