"""Each tenant's running invocations are capped; past the cap, refused at once (R9).

These go through the one invocation runner with an engine the test holds, so
they run on whichever gate the settings choose: in-process on the embedded
stack, Redis with REDIS_URL (tests/scripts_app/test_admission_redis.py covers
the Redis gate's own behaviour).
"""

import asyncio
import logging

import pytest

from scripts_app import admission
from scripts_app.admission import Overloaded, refusals
from tests.scripts_app.admitting import HeldEngine, run, tenant


@pytest.fixture(autouse=True)
def cap_of_two(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": 2}


async def fill(engine, who, count=2):
    """Start `count` held invocations for `who`; return their tasks once running."""
    tasks = [asyncio.ensure_future(run(engine, who)) for _ in range(count)]
    await engine.until_started(engine.started + count)
    return tasks


async def test_an_invocation_past_the_cap_is_refused_at_once_and_runs_nothing():
    engine, acme = HeldEngine(), tenant()
    held = await fill(engine, acme)

    outcome = await run(engine, acme)  # returns while the two others still run

    assert isinstance(outcome.error, Overloaded)
    assert outcome.error.code == "overloaded"
    assert outcome.value is None and outcome.effects == [] and outcome.logs == []
    assert engine.started == 2
    engine.release.set()
    assert [(await t).value for t in held] == ["ran h", "ran h"]


async def test_the_refusal_names_the_cap_and_the_setting():
    engine, acme = HeldEngine(), tenant()
    held = await fill(engine, acme)

    outcome = await run(engine, acme)

    assert outcome.error.message == (
        "Too many script invocations at once: this tenant already runs 2, and "
        "its limit is 2 (SCRIPT_MAX_CONCURRENT_PER_TENANT); nothing was run. "
        "Try again in 1 s."
    )
    assert outcome.error.retry_after == 1
    engine.release.set()
    await asyncio.gather(*held)


async def test_every_kind_of_invocation_shares_the_tenants_cap():
    engine, acme = HeldEngine(), tenant()
    held = [
        asyncio.ensure_future(run(engine, acme, kind="http")),
        asyncio.ensure_future(run(engine, acme, kind="listener")),
    ]
    await engine.until_started(2)

    refused = [await run(engine, acme, kind=k) for k in ("resolver", "stream")]

    assert [type(o.error) for o in refused] == [Overloaded, Overloaded]
    engine.release.set()
    await asyncio.gather(*held)


async def test_each_tenant_has_a_cap_of_its_own():
    engine, acme, globex = HeldEngine(), tenant("acme"), tenant("globex")
    held = await fill(engine, acme)

    others = await fill(engine, globex)

    assert engine.started == 4
    assert isinstance((await run(engine, globex)).error, Overloaded)
    engine.release.set()
    await asyncio.gather(*held, *others)


async def test_finished_invocations_give_their_slots_back():
    engine, acme = HeldEngine(), tenant()
    engine.release.set()  # every invocation ends at once
    for _ in range(5):
        assert (await run(engine, acme)).error is None

    engine.release.clear()
    held = await fill(engine, acme)  # both slots are free again

    assert isinstance((await run(engine, acme)).error, Overloaded)
    engine.release.set()
    await asyncio.gather(*held)


async def test_a_failing_or_cancelled_invocation_gives_its_slot_back():
    engine, acme = HeldEngine(), tenant()
    failing = asyncio.ensure_future(run(engine, acme, handler="fail"))
    cancelled = asyncio.ensure_future(run(engine, acme))
    await engine.until_started(2)
    cancelled.cancel()
    engine.release.set()
    with pytest.raises(RuntimeError, match="the engine broke"):
        await failing
    with pytest.raises(asyncio.CancelledError):
        await cancelled

    engine.release.clear()
    held = await fill(engine, acme)

    assert engine.started == 4
    engine.release.set()
    await asyncio.gather(*held)


async def test_a_cap_of_zero_admits_every_invocation(settings):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": 0}
    engine, acme = HeldEngine(), tenant()

    held = await fill(engine, acme, count=5)

    assert engine.started == 5
    engine.release.set()
    await asyncio.gather(*held)


async def test_refusals_are_counted_and_logged_at_most_once_per_interval(
    caplog, monkeypatch
):
    engine, acme = HeldEngine(), tenant("flooded")
    held = await fill(engine, acme)
    monkeypatch.setattr(admission, "LOG_EVERY_SECONDS", 3600)

    with caplog.at_level(logging.WARNING, logger="scripts_app.admission"):
        for _ in range(3):
            await run(engine, acme)
        monkeypatch.setattr(admission, "LOG_EVERY_SECONDS", 0)
        await run(engine, acme)

    assert refusals()[acme.id] == 4
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0] == (
        "Refused 1 invocation of tenant flooded: 2 running, the cap is 2 "
        "(SCRIPT_MAX_CONCURRENT_PER_TENANT)"
    )
    assert lines[1].startswith("Refused 3 invocations of tenant flooded in the last ")
    engine.release.set()
    await asyncio.gather(*held)


@pytest.mark.parametrize("value", [-1, "64", 2.5])
def test_a_cap_that_is_not_a_count_fails_the_system_checks(settings, value):
    from scripts_app.checks import admission_cap_sane

    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": value}

    assert [e.id for e in admission_cap_sane(None)] == ["scripthost.E004"]


@pytest.mark.parametrize("value", [0, 1, 64])
def test_a_cap_of_zero_or_more_passes_the_system_checks(settings, value):
    from scripts_app.checks import admission_cap_sane

    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": value}

    assert admission_cap_sane(None) == []
