"""Every template the add page offers is a script the platform accepts as it is."""

import json

import pytest

from scheduler_app.models import Job
from scripts_app import script_templates
from scripts_app.models import Route, Script
from scripts_app.services import prepare, store
from streams_app.models import StreamRoute
from tests.scripts_app.test_admin_scripts import ADD, admin_client  # noqa: F401

KEYS = [key for key, _title, _file in script_templates.TEMPLATES]


def upload(cast, key, privileged=False):
    """Store the template through the real path (as a privileged script if asked)."""
    source = script_templates.source_of(key)
    if privileged:
        Script.objects.create(
            tenant=cast["acme"], name=key, source="// placeholder", privileged=True
        )
    return store(prepare(cast["acme"], key, source), cast["root"])


def test_the_picker_offers_the_six_kinds_of_script():
    assert KEYS == [
        "route",
        "stream",
        "graphql",
        "scheduled_job",
        "predix_trigger",
        "iota_cron",
    ]


@pytest.mark.parametrize("key", KEYS)
def test_every_template_is_stored_without_a_warning(cast, key):
    saved = upload(cast, key, privileged=key in ("scheduled_job", "iota_cron"))
    assert saved.warnings == []
    assert saved.script.source == script_templates.source_of(key)


def test_the_route_template_answers_its_route(cast, api):
    upload(cast, "route")
    answer = api(host="acme.test").get("/hello?name=Ann")
    assert (answer.status_code, answer.json()) == (200, {"hello": "Ann"})


def test_the_stream_template_registers_its_stream_and_sender(cast):
    upload(cast, "stream")
    assert list(StreamRoute.objects.values_list("path", flat=True)) == ["/updates"]
    assert list(Route.objects.values_list("method", "path")) == [
        ("POST", "/updates/send")
    ]


def test_the_graphql_template_answers_its_query(cast, api):
    upload(cast, "graphql")
    answer = api("alice", host="acme.test").post(
        "/graphql",
        json.dumps({"query": '{ greeting(name: "Ann") }'}),
        content_type="application/json",
    )
    assert answer.json() == {"data": {"greeting": "Hello, Ann!"}}


def test_the_job_templates_schedule_their_jobs(cast):
    upload(cast, "scheduled_job", privileged=True)
    upload(cast, "iota_cron", privileged=True)
    jobs = Job.objects.order_by("name").values_list(
        "script__name", "handler", "interval_seconds", "cron", "timezone"
    )
    assert list(jobs) == [
        ("iota_cron", "main", None, "0 9 * * *", "Europe/Helsinki"),
        ("scheduled_job", "tick", 3600, "", "UTC"),
    ]


def test_an_unknown_template_is_none():
    assert script_templates.source_of("nope") is None


def test_the_add_page_starts_from_the_template_it_is_asked_for(admin_client):  # noqa: F811
    page = admin_client.get(ADD + "?template=graphql")
    assert page.context["adminform"].form.initial["source"] == (
        script_templates.source_of("graphql")
    )
    config = page.context["editor_config"]
    assert [t["key"] for t in config["templates"]] == KEYS


def test_the_add_page_ignores_an_unknown_template(admin_client):  # noqa: F811
    page = admin_client.get(ADD + "?template=../../settings")
    assert "source" not in page.context["adminform"].form.initial
