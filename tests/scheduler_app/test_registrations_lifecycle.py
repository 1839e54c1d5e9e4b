"""A script's jobs follow it: deleted with it, disabled with it, restored with it.

A job runs only while its script is enabled and privileged. Disabling the
script (or taking its privilege away) keeps its jobs, disabled, with their
history; enabling it again re-enables them as registered: a recurring or cron
job resumes at its next slot after now, and a one-off that has not run yet
runs (at once, if its time went by).
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from scheduler_app.models import Job
from scripts_app.models import Script
from scripts_app.services import delete_script
from tests.scheduler_app.scheduling import jobs, privileged, put

SOURCE = """
function tick(c) {}
function init(c) {
  schedulerService.registerRecurring({handler: "tick", intervalMinutes: 10, startAt: "2026-01-01T00:00:00Z", name: "every"});
  schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "later"});
}
"""


def _script(cast, upload):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    return Script.objects.get(tenant=cast["acme"], name="s")


def test_deleting_a_script_deletes_its_jobs(cast, upload, api):
    _script(cast, upload)
    assert Job.objects.count() == 2
    assert api("alice").delete("/system/scripts/s").status_code in (200, 204)
    assert Job.objects.count() == 0


def test_deleting_through_the_service_deletes_them_too(cast, upload):
    delete_script(_script(cast, upload))
    assert not Job.objects.exists()


def test_disabling_a_script_disables_its_jobs_and_enabling_restores_them(cast, upload):
    script = _script(cast, upload)
    before = jobs("s")
    script.enabled = False
    script.save(update_fields=["enabled", "updated_at"])
    assert {j.enabled for j in jobs("s").values()} == {False}

    # While it was disabled, its slots went by: they are not made up.
    Job.objects.filter(name="every").update(
        next_run_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    script.enabled = True
    script.save(update_fields=["enabled", "updated_at"])
    after = jobs("s")
    assert {j.enabled for j in after.values()} == {True}
    assert {j.pk for j in after.values()} == {j.pk for j in before.values()}
    now = timezone.now()
    assert now < after["every"].next_run_at <= now + timedelta(minutes=10)
    assert after["every"].next_run_at.minute % 10 == 0  # its phase is kept
    assert after["later"].next_run_at == datetime(2099, 1, 1, tzinfo=UTC)


def test_a_one_off_whose_time_went_by_while_disabled_runs_on_enabling(cast, upload):
    script = _script(cast, upload)
    script.enabled = False
    script.save()
    Job.objects.filter(name="later").update(
        run_at=datetime(2026, 1, 1, tzinfo=UTC),
        next_run_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    script.enabled = True
    script.save()
    assert jobs("s")["later"].next_run_at <= timezone.now()


def test_a_one_off_that_ran_stays_done_on_enabling(cast, upload):
    script = _script(cast, upload)
    Job.objects.filter(name="later").update(
        next_run_at=None, last_run_at=timezone.now(), last_status="ok"
    )
    script.enabled = False
    script.save()
    script.enabled = True
    script.save()
    assert jobs("s")["later"].next_run_at is None


def test_taking_the_privilege_away_disables_the_jobs_and_giving_it_back_restores_them(
    cast, upload
):
    script = _script(cast, upload)
    script.privileged = False
    script.save(update_fields=["privileged"])
    assert {j.enabled for j in jobs("s").values()} == {False}
    script.privileged = True
    script.save(update_fields=["privileged"])
    assert {j.enabled for j in jobs("s").values()} == {True}


def test_an_upload_of_a_disabled_script_stores_its_jobs_disabled(cast, upload):
    script = _script(cast, upload)
    script.enabled = False
    script.save()
    put(upload, "s", SOURCE.replace("later", "later2"))
    assert {n: j.enabled for n, j in jobs("s").items()} == {
        "every": False,
        "later2": False,
    }


def test_saving_other_fields_leaves_the_jobs_alone(cast, upload):
    script = _script(cast, upload)
    Job.objects.update(enabled=False)  # as if disabled, to see nothing re-enables
    script.capabilities = []
    script.save(update_fields=["capabilities", "updated_at"])
    assert {j.enabled for j in jobs("s").values()} == {False}


def test_jobs_are_rows_that_outlive_the_process(cast, upload):
    # Nothing in memory: what the upload stored is what a new process reads.
    _script(cast, upload)
    from scripts_app.sources import forget_sources
    from tenants.resolve import invalidate_all

    forget_sources()
    invalidate_all()
    assert sorted(Job.objects.values_list("name", flat=True)) == ["every", "later"]
