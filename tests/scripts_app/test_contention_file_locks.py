"""Without Redis, contended keys are locked across the machine's processes in files.

The embedded stack may serve with several worker processes (uvicorn
--workers) and no Redis: each process's asyncio locks only make its own
invocations take turns, so a lock file (flock) makes the processes take
turns too (scripts_app.contention, KeyLocks with a folder).
"""

import asyncio
import multiprocessing
import time

import pytest

from scripts_app import contention
from scripts_app.contention import KeyLocks


def _hold_in_a_process(folder, name, hold_seconds, out):
    """Another process: take the lock, say when it held it, give it back."""

    async def main():
        locks = KeyLocks(folder=folder)
        held = await locks.acquire([name], 10.0, 30.0)
        assert held is not None
        began = time.time()
        await asyncio.sleep(hold_seconds)
        ended = time.time()
        await locks.release(held)
        out.put((began, ended))

    asyncio.run(main())


def _spawned(*args) -> multiprocessing.Process:
    process = multiprocessing.get_context("spawn").Process(
        target=_hold_in_a_process, args=args
    )
    process.start()
    return process


async def test_two_processes_hold_a_name_in_turn(tmp_path):
    out = multiprocessing.get_context("spawn").Queue()
    processes = [_spawned(str(tmp_path), "1:storage:hot", 0.3, out) for _ in range(2)]
    for process in processes:
        await asyncio.to_thread(process.join, 60)
    spans = sorted(out.get(timeout=5) for _ in processes)

    assert [p.exitcode for p in processes] == [0, 0]
    (_, first_ended), (second_began, _) = spans
    assert second_began >= first_ended - 0.01  # never both at once


async def test_a_name_held_in_another_process_is_waited_for_then_taken(tmp_path):
    out = multiprocessing.get_context("spawn").Queue()
    other = _spawned(str(tmp_path), "1:storage:hot", 1.0, out)
    locks = KeyLocks(folder=tmp_path)
    # Wait until the other process holds it.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = await locks.acquire(["1:storage:hot"], 0.01, 5.0)
        if probe is None:
            break
        await locks.release(probe)
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the other process never took the lock")

    assert await locks.acquire(["1:storage:hot"], 0.05, 5.0) is None
    held = await locks.acquire(["1:storage:hot"], 10.0, 5.0)
    began = time.time()
    await asyncio.to_thread(other.join, 30)

    assert held is not None
    _, other_ended = out.get(timeout=5)
    assert began >= other_ended - 0.01
    await locks.release(held)


async def test_names_sharing_a_file_are_held_together_without_deadlock(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(contention, "FILE_BUCKETS", 1)
    locks = KeyLocks(folder=tmp_path)

    held = await locks.acquire(["1:a", "1:b", "1:c"], 1.0, 5.0)

    assert held is not None and len(held.files) == 1
    await locks.release(held)
    assert await locks.acquire(["1:b"], 0.05, 5.0) is not None


async def test_a_waiter_cancelled_while_it_waits_leaves_no_file_locked(tmp_path):
    locks, other = KeyLocks(folder=tmp_path), KeyLocks(folder=tmp_path)
    holder = await locks.acquire(["1:k"], 1.0, 5.0)
    # Another KeyLocks stands for another process: it waits on the file.
    waiting = asyncio.ensure_future(other.acquire(["1:k"], 5.0, 5.0))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await locks.release(holder)

    again = await other.acquire(["1:k"], 0.05, 5.0)
    assert again is not None and again.files
    await other.release(again)


def test_the_platforms_locks_use_files_without_redis(settings):
    settings.REDIS_URL = ""

    made = contention.locks()

    assert made.folder is not None and made.folder.is_dir()
    assert settings.VAR_DIR in made.folder.parents


async def test_a_folder_that_cannot_be_made_leaves_the_process_locks(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    locks = KeyLocks(folder=blocker / "keylocks")
    held = await locks.acquire(["1:k"], 1.0, 5.0)

    assert locks.folder is None and held is not None and held.files == []
    assert await locks.acquire(["1:k"], 0.05, 5.0) is None  # still this process's
    assert "No lock files for contended keys" in caplog.text
    await locks.release(held)
