"""The jobs through REST (/system/api/jobs), GraphQL (`jobs`) and the admin.

Read-only, scoped to the request's tenant, filtered by script; every member
of the tenant may read, nobody else.
"""

import pytest
from django.test import Client

from tests.cast import PASSWORD
from tests.scheduler_app.scheduling import jobs, privileged, put

SOURCE = """
function tick(c) {}
function init(c) {
  schedulerService.registerCron({handler: "tick", cron: "0 9 * * 1-5", timezone: "Europe/Helsinki", name: "weekdays"});
  schedulerService.registerRecurring({handler: "tick", intervalMinutes: 30, startAt: "2099-01-01T00:00:00Z", name: "half-hourly"});
}
"""
OTHER = """
function tick(c) {}
function init(c) {
  schedulerService.registerOnce({handler: "tick", runAt: "2099-05-01T10:00:00Z"});
}
"""


@pytest.fixture
def scheduled(cast, upload):
    """acme: reports (two jobs) and other (one); globex: reports (one)."""
    for tenant, name in (("acme", "reports"), ("acme", "other"), ("globex", "reports")):
        privileged(cast[tenant], name)
    put(upload, "reports", SOURCE)
    put(upload, "other", OTHER)
    reply = upload("reports", OTHER, user="erin", host="globex.test")
    assert reply.status_code == 200, reply.content


def _results(client, path):
    reply = client.get(path)
    assert reply.status_code == 200, reply.content
    return reply.json()["results"]


def test_the_list_has_the_tenants_jobs_with_their_schedule_in_words(api, scheduled):
    listed = _results(api("charlie"), "/system/api/jobs")  # a viewer may read
    assert {(j["script"], j["name"]) for j in listed} == {
        ("reports", "weekdays"),
        ("reports", "half-hourly"),
        ("other", "tick"),
    }
    weekdays = next(j for j in listed if j["name"] == "weekdays")
    assert weekdays["schedule"] == (
        "At 09:00 AM, Monday through Friday (Europe/Helsinki)"
    )
    assert weekdays["type"] == "cron" and weekdays["enabled"] is True
    assert weekdays["next_run_at"] and weekdays["last_run_at"] is None
    assert weekdays["running"] is False
    half = next(j for j in listed if j["name"] == "half-hourly")
    assert half["schedule"] == "Every 30 minutes, from 2099-01-01T00:00:00Z"
    assert half["interval_seconds"] == 1800


def test_the_list_is_filtered_by_script(api, scheduled):
    listed = _results(api("alice"), "/system/api/jobs?script=other")
    assert [(j["script"], j["name"]) for j in listed] == [("other", "tick")]
    assert listed[0]["schedule"] == "Once, at 2099-05-01T10:00:00Z"


def test_one_job_by_id_and_never_another_tenants(api, scheduled, cast):
    job = jobs("reports", cast["acme"])["weekdays"]
    reply = api("bob").get(f"/system/api/jobs/{job.pk}")
    assert reply.status_code == 200
    assert reply.json()["id"] == str(job.pk)
    theirs = jobs("reports", cast["globex"])["tick"]
    assert api("alice").get(f"/system/api/jobs/{theirs.pk}").status_code == 404
    assert [
        j["script"] for j in _results(api("erin", "globex.test"), "/system/api/jobs")
    ] == ["reports"]


def test_only_members_read_and_nobody_writes(api, scheduled, cast):
    assert api().get("/system/api/jobs").status_code == 401
    assert api("dave").get("/system/api/jobs").status_code == 403
    job = jobs("reports", cast["acme"])["weekdays"]
    assert api("alice").delete(f"/system/api/jobs/{job.pk}").status_code == 405
    assert api("alice").post("/system/api/jobs", {}, format="json").status_code == 405


def test_graphql_lists_the_same_jobs(api, scheduled):
    query = """query($script: String) {
      jobs(script: $script) { id script name handler type schedule timezone enabled
                              nextRunAt running runCount }
    }"""
    reply = api("charlie").post(
        "/graphql", {"query": query, "variables": {"script": "reports"}}, format="json"
    )
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert "errors" not in body, body
    found = {j["name"]: j for j in body["data"]["jobs"]}
    assert sorted(found) == ["half-hourly", "weekdays"]
    assert found["weekdays"]["schedule"].endswith("(Europe/Helsinki)")
    assert found["weekdays"]["runCount"] == 0
    everything = api("erin", "globex.test").post(
        "/graphql", {"query": "{ jobs { script name } }"}, format="json"
    )
    assert everything.json()["data"]["jobs"] == [{"script": "reports", "name": "tick"}]


def test_graphql_needs_a_member(api, scheduled):
    reply = api("dave").post("/graphql", {"query": "{ jobs { name } }"}, format="json")
    assert reply.json()["data"] is None or reply.json()["data"]["jobs"] is None
    assert reply.json()["errors"]


def test_the_admin_lists_jobs_with_schedule_next_and_last_run(cast, scheduled):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    listing = client.get("/system/admin/scheduler_app/job/")
    assert listing.status_code == 200
    for text in (b"weekdays", b"At 09:00 AM, Monday through Friday", b"Next run at"):
        assert text in listing.content
    job = jobs("reports", cast["acme"])["weekdays"]
    page = client.get(f"/system/admin/scheduler_app/job/{job.pk}/change/")
    assert page.status_code == 200
    assert b"0 9 * * 1-5" in page.content
    filtered = client.get("/system/admin/scheduler_app/job/?type__exact=one-off")
    assert b"weekdays" not in filtered.content and b"tick" in filtered.content
