"""Random ids drawn from a pooled CSPRNG: valid, distinct, and never shared with a fork."""

import os
import threading
import time
import uuid

from core import ids


def test_uuid4_is_a_version_4_uuid():
    value = ids.uuid4()
    assert isinstance(value, uuid.UUID)
    assert value.version == 4
    assert value.variant == uuid.RFC_4122


def test_uuid7_is_a_version_7_uuid_that_sorts_by_time():
    first = ids.uuid7()
    time.sleep(0.002)
    later = [ids.uuid7() for _ in range(100)]
    for value in (first, *later):
        assert isinstance(value, uuid.UUID)
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
    # ms since the epoch in the first 48 bits
    assert abs((first.int >> 80) - time.time() * 1000) < 5000
    assert all(first < value for value in later)
    # as text too, which is how SQLite keeps them
    assert all(first.hex < value.hex for value in later)
    # and 74 random bits: ids of the same ms still differ
    assert len(set(later)) == 100


def test_ids_are_distinct_across_pool_refills_and_threads():
    seen = set()
    lock = threading.Lock()

    def draw():
        # 1,000 ids are four refills of a 4 KiB pool.
        mine = [ids.hex_id() for _ in range(1000)]
        with lock:
            seen.update(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4000
    assert all(len(h) == 32 and int(h, 16) >= 0 for h in seen)


def test_a_forked_child_does_not_hand_out_its_parents_next_ids():
    ids.hex_id()  # the pool holds unused bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next ids and leave at once
        os.close(read)
        os.write(write, "".join(ids.hex_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    parent = "".join(ids.hex_id() for _ in range(4))
    assert len(child) == len(parent) == 128
    assert child != parent
