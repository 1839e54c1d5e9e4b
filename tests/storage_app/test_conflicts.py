"""Invocations that read and write the same keys behave as if run one by one (R5)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from engine import Limits, ScriptSource
from scripts_app import hosting
from scripts_app.engines import engine
from scripts_app.hosting import EffectConflict, Invocation
from storage_app.effects import apply
from storage_app.models import StoredItem
from storage_app.ops import read

COUNTER = """
async function bump(context) {
  const n = parseInt((await sharedStorage.getItem("n")) || "0");
  sharedStorage.setItem("n", String(n + 1));
  return n + 1;
}
"""


def invocation(cast, user=None):
    return Invocation(
        tenant=cast["acme"],
        script_id=1,
        script_name="counter",
        kind="http",
        user_id=user.pk if user else None,
    )


def set_n(value):
    return [
        {"kind": "storage.set", "data": {"scope": "shared", "key": "n", "value": value}}
    ]


def stored_n():
    return StoredItem.objects.get(key="n").value


def test_a_key_changed_since_it_was_read_conflicts(cast):
    apply(invocation(cast), set_n("1"))
    first, second = invocation(cast), invocation(cast)
    read(first, "shared", "n")
    read(second, "shared", "n")
    apply(first, set_n("2"))

    with pytest.raises(EffectConflict):
        apply(second, set_n("2"))
    assert stored_n() == "2"


def test_a_key_read_as_absent_and_created_meanwhile_conflicts(cast):
    late = invocation(cast)
    assert read(late, "shared", "n") is None
    apply(invocation(cast), set_n("1"))

    with pytest.raises(EffectConflict):
        apply(late, set_n("1"))


def test_a_key_created_after_the_read_check_but_before_the_write_conflicts(
    cast, monkeypatch
):
    # On PostgreSQL another process can commit the key between check_reads and
    # the write; there is no row for check_reads to lock, so write must notice.
    late = invocation(cast)
    assert read(late, "shared", "n") is None
    other_process_commits = [lambda: apply(invocation(cast), set_n("1"))]

    def check_then_race(tenant_id, reads):
        if other_process_commits:
            other_process_commits.pop()()

    monkeypatch.setattr("storage_app.effects.check_reads", check_then_race)

    with pytest.raises(EffectConflict):
        apply(late, set_n("1"))
    assert stored_n() == "1"


def test_a_key_deleted_and_written_again_still_conflicts(cast):
    apply(invocation(cast), set_n("1"))
    late = invocation(cast)
    read(late, "shared", "n")
    remove = {"kind": "storage.remove", "data": {"scope": "shared", "key": "n"}}
    apply(invocation(cast), [remove])
    apply(invocation(cast), set_n("1"))

    with pytest.raises(EffectConflict):
        apply(late, set_n("2"))


def test_an_unchanged_key_is_written(cast):
    apply(invocation(cast), set_n("1"))
    reader = invocation(cast)
    read(reader, "shared", "n")

    apply(reader, set_n("2"))

    assert stored_n() == "2"


def test_blind_writes_need_no_read_and_never_conflict(cast):
    apply(invocation(cast), set_n("1"))
    apply(invocation(cast), set_n("2"))

    assert stored_n() == "2"


@pytest.mark.django_db(transaction=True)
async def test_two_overlapping_counters_both_count_after_a_rerun(cast, monkeypatch):
    hosts = []
    build_host = hosting.build_host
    both_read = asyncio.Event()
    readers = []

    def recording(inv):
        host = build_host(inv)
        hosts.append(host)
        if len(hosts) <= 2:
            # The two first runs: neither goes on to write before both have
            # read "n", whatever the timing of their contexts' builds.
            real = host.start

            async def answered_later(answer):
                if not isinstance(answer, dict):
                    answer = await answer
                readers.append(host)
                if len(readers) == 2:
                    both_read.set()
                await asyncio.wait_for(both_read.wait(), 5)
                return answer

            def start(name, args):
                return answered_later(real(name, args))

            host.start = start
        return host

    monkeypatch.setattr(hosting, "build_host", recording)

    async def load():
        return ScriptSource(COUNTER, "counter.js", {})

    def bump(version):
        # Two pool keys: two contexts, so the two runs really overlap.
        return hosting.invoke_with_effects(
            engine(),
            ("counter", version),
            "bump",
            {"request": None},
            Limits.of(5, 20),
            load,
            invocation(cast),
        )

    outcomes = await asyncio.gather(bump(1), bump(2))

    assert sorted(o.value for o in outcomes) == [1, 2]
    assert await sync_to_async(stored_n)() == "2"
    # Both first runs read "n" before either wrote it; the loser ran again.
    assert [h.calls for h in hosts].count(["storage.get"]) == 3
