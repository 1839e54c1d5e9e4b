"""Each directory has its own change counter: an upload bumps only what it touched."""

import pytest

from scripts_app.models import Script
from scripts_app.routing import RouteDirectory
from streams_app.directory import StreamDirectory
from streams_app.dispatch import ListenerDirectory
from tenants.models import ChangeCounter

ROUTE = """
function h(c) { return "h"; }
routeRegistry.registerRoute("/h", "h", "GET");
"""
LISTENER = """
function on(c) { return null; }
dispatcher.registerListener("thing.happened", "on");
"""
STREAM = 'routeRegistry.registerStreamRoute("/feed");\n'
COUNTERS = ("routes", "streams", "listeners", "graphql")


@pytest.fixture
def counters():
    def read():
        values = ChangeCounter.snapshot()
        return {name: values.get(name, 0) for name in COUNTERS}

    return read


def moved(before, after):
    return sorted(name for name in COUNTERS if after[name] != before[name])


def test_each_directory_polls_its_own_counter():
    from graphql_app.schemas import OperationDirectory

    assert RouteDirectory.counter == "routes"
    assert StreamDirectory.counter == "streams"
    assert ListenerDirectory.counter == "listeners"
    assert OperationDirectory.counter == "graphql"


def test_an_upload_with_only_routes_bumps_only_the_route_table(upload, counters):
    before = counters()

    assert upload("routes", ROUTE).status_code == 201
    assert upload("routes", ROUTE + "// v2").status_code == 200

    assert moved(before, counters()) == ["routes"]


def test_a_script_whose_listeners_did_not_change_still_reloads_them(upload, counters):
    # A new version of a script with listeners: they now run that version.
    assert upload("both", ROUTE + LISTENER).status_code == 201
    before = counters()

    assert upload("both", ROUTE + LISTENER + "// v2").status_code == 200

    assert moved(before, counters()) == ["listeners", "routes"]


def test_dropping_registrations_bumps_the_directories_that_held_them(upload, counters):
    assert upload("s", LISTENER + STREAM).status_code == 201
    before = counters()

    assert upload("s", ROUTE).status_code == 200

    assert moved(before, counters()) == ["listeners", "routes", "streams"]


def test_disabling_and_deleting_bump_what_the_script_has(upload, counters):
    assert upload("s", STREAM).status_code == 201
    script = Script.objects.get(name="s")
    before = counters()
    script.enabled = False
    script.save()
    disabled = counters()
    script.delete()

    assert moved(before, disabled) == ["streams"]
    assert moved(disabled, counters()) == ["streams"]


def test_a_script_with_unknown_registrations_bumps_every_counter(upload, counters):
    assert upload("s", ROUTE).status_code == 201
    before = counters()

    script = Script.objects.only("id", "tenant", "name", "enabled").get(name="s")
    script.enabled = False
    script.save(update_fields=["enabled"])

    assert moved(before, counters()) == sorted(COUNTERS)


def test_an_upload_without_listeners_does_not_reload_the_listener_directory(
    upload, settings, monkeypatch
):
    settings.SCRIPTS = {**settings.SCRIPTS, "ROUTE_REFRESH_SECONDS": 0}
    assert upload("listens", LISTENER).status_code == 201
    directory = ListenerDirectory()
    loads = []
    real = directory.load
    monkeypatch.setattr(directory, "load", lambda: loads.append(1) or real())
    directory.refresh_sync()
    assert loads == [1]

    assert upload("routes", ROUTE).status_code == 201
    directory.refresh_sync()
    assert loads == [1]  # the counter did not move: nothing to read again

    assert upload("listens", LISTENER + "// v2").status_code == 200
    directory.refresh_sync()
    assert loads == [1, 1]
    target = directory.listeners_of(
        Script.objects.get(name="listens").tenant_id, "thing.happened"
    )[0]
    assert target.version == 2
