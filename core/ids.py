"""Random ids for every request and invocation, without a system call each.

`uuid.uuid4()` reads 16 bytes from the OS each time. The call itself is cheap,
but it lets go of the GIL, and on a busy server another thread (the records
writer, an isolate's callback) takes it: the event loop then waits for it back.
Here each thread draws 4 KiB from the same source (os.urandom) at a time and
hands out 16 bytes per id, so the ids are exactly as unpredictable, and a
forked child starts with a fresh pool (no id is ever handed out twice).
"""

from __future__ import annotations

import os
import threading
import uuid

_POOL_BYTES = 4096


class _Pool(threading.local):
    def __init__(self):
        self.data = b""
        self.at = 0


_pool = _Pool()


def _reset_after_fork() -> None:
    global _pool
    _pool = _Pool()


os.register_at_fork(after_in_child=_reset_after_fork)


def random_bytes16() -> bytes:
    """16 bytes from the OS's CSPRNG."""
    pool = _pool
    at = pool.at
    if at + 16 > len(pool.data):
        pool.data, at = os.urandom(_POOL_BYTES), 0
    pool.at = at + 16
    return pool.data[at : at + 16]


def uuid4() -> uuid.UUID:
    """A random (version 4) UUID, as uuid.uuid4() makes one."""
    return uuid.UUID(bytes=random_bytes16(), version=4)


def hex_id() -> str:
    """32 random hex digits: a request id, a lease."""
    return random_bytes16().hex()
