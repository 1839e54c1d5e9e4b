"""SCRIPT_VM_NICE: how much lower than the server's threads scripts run."""

import pytest

from scripts_app.checks import pool_size_sane
from scripts_app.engines import engine


@pytest.mark.parametrize("value", [-1, 20, "19", 2.5, True])
def test_a_nice_outside_0_to_19_fails_the_system_checks(settings, value):
    settings.SCRIPTS = {**settings.SCRIPTS, "VM_NICE": value}

    assert [e.id for e in pool_size_sane(None)] == ["scripthost.E006"]


@pytest.mark.parametrize("value", [0, 10, 19])
def test_a_nice_from_0_to_19_passes_the_system_checks(settings, value):
    settings.SCRIPTS = {**settings.SCRIPTS, "VM_NICE": value}

    assert pool_size_sane(None) == []


async def test_the_platforms_engine_runs_scripts_at_the_setting(settings):
    from engine.context import script_nice

    settings.SCRIPTS = {**settings.SCRIPTS, "VM_NICE": 7}
    engine()  # this loop's engine, made with the setting

    assert script_nice() == 7
