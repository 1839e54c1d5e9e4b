"""schedulerService called from a handler: an effect, applied once the run succeeds.

The jobs it makes last until the script's next upload, which replaces the
set (clearAll before init(), as the seed says). A script that is not
privileged gets a clear error, and nothing of its run is applied.
"""

from scheduler_app.models import Job
from tests.scheduler_app.scheduling import jobs, privileged, put

HOST = "acme.test"

SOURCE = """
function tick(c) {}
function plan(context) {
  return schedulerService.registerRecurring({handler: "tick", intervalMinutes: 5, name: "later"});
}
function planCron(context) {
  return schedulerService.registerCron({handler: "tick", cron: context.request.query.cron, name: "c"});
}
function planThenFail(context) {
  schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "never"});
  throw new Error("changed my mind");
}
function planMissing(context) {
  return schedulerService.registerOnce({handler: "nope", runAt: "2099-01-01T00:00:00Z"});
}
function clear(context) {
  return schedulerService.clearAll();
}
function init(context) {
  schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "loaded"});
  routeRegistry.registerRoute("/plan", "plan", "POST");
  routeRegistry.registerRoute("/plan/cron", "planCron", "POST");
  routeRegistry.registerRoute("/plan/fail", "planThenFail", "POST");
  routeRegistry.registerRoute("/plan/missing", "planMissing", "POST");
  routeRegistry.registerRoute("/clear", "clear", "POST");
}
"""


def test_a_handler_registers_a_job_once_it_succeeds(cast, upload, api):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    reply = api(host=HOST).post("/plan")
    assert reply.status_code == 200, reply.content
    job = jobs("s")["later"]
    assert reply.content.decode().startswith("Job 'later' runs tick every 5 minutes")
    assert reply.content.decode().endswith(f"(job id {job.pk})")
    assert job.interval_seconds == 300 and job.enabled


def test_a_failed_handler_registers_nothing(cast, upload, api):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    assert api(host=HOST).post("/plan/fail").status_code == 500
    assert "never" not in jobs("s")


def test_a_handler_naming_a_missing_function_gets_an_error_string(cast, upload, api):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    reply = api(host=HOST).post("/plan/missing")
    assert reply.content == (
        b"Error: schedulerService.registerOnce: options.handler 'nope' is not a "
        b"function in this script"
    )
    assert sorted(jobs("s")) == ["loaded"]


def test_a_handler_with_an_invalid_cron_expression_fails_saying_where(
    cast, upload, api, records
):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    reply = api(host=HOST).post("/plan/cron?cron=0+9+*+*+8")
    assert reply.status_code == 500
    assert "c" not in jobs("s")
    records()
    from scripts_app.models import Execution

    error = Execution.objects.get(handler="planCron").error
    assert "8 is out of range 0-7 (day of week field, character 9)" in error


def test_clear_all_from_a_handler_removes_the_scripts_jobs(cast, upload, api):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    api(host=HOST).post("/plan")
    assert sorted(jobs("s")) == ["later", "loaded"]
    assert api(host=HOST).post("/clear").status_code == 200
    assert jobs("s") == {}


def test_the_next_upload_replaces_what_handlers_registered(cast, upload, api):
    privileged(cast["acme"], "s")
    put(upload, "s", SOURCE)
    api(host=HOST).post("/plan")
    put(upload, "s", SOURCE)
    assert sorted(jobs("s")) == ["loaded"]


def test_a_handler_of_a_script_that_is_not_privileged_gets_a_clear_error(
    cast, upload, api, records
):
    put(upload, "s", SOURCE)  # not privileged: init's registration was refused
    reply = api(host=HOST).post("/plan")
    assert reply.status_code == 500
    assert not Job.objects.exists()
    records()
    from scripts_app.models import Execution

    error = Execution.objects.get(handler="plan").error
    assert (
        "schedulerService: only privileged scripts may schedule jobs, and script "
        "'s' is not privileged" in error
    )
