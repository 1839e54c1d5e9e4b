"""schedulerService at load time: an upload's registrations become the script's jobs.

Uploads go through the real entry points: PUT /system/scripts/<id> (the
`upload` fixture), POST /system/api/scripts and scripts_app.services.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from scheduler_app.registry import job_id
from scripts_app.models import Script
from scripts_app.services import save_script
from tests.conformance.seeds import block, fixture
from tests.scheduler_app.scheduling import jobs, privileged, put

HOST = "acme.test"
# The IOTA seed's cron job, verbatim (the conformance suite's fixture).
IOTA_CRON = fixture("iota", "cron_job")

# init() keeps what each call returned; GET /said answers it.
SAYS = """
var said = [];
function tick(context) { return "tick"; }
function tock(context) { return "tock"; }
function answer(context) { return { status: 200, body: said }; }
function init(context) {
  said = [];
  %s
  routeRegistry.registerRoute("/said", "answer", "GET");
}
"""


def says(*calls):
    return SAYS % "\n  ".join(f"said.push({c});" for c in calls)


def said(api):
    reply = api(host=HOST).get("/said")
    assert reply.status_code == 200, reply.content
    return reply.json()


def test_the_seeds_complete_example_registers_its_two_jobs(cast, upload):
    source = fixture("aiwebengine", "scheduler_complete_example")
    assert source == block("aiwebengine", "Complete Example")  # verbatim
    privileged(cast["acme"], "digest")
    before = timezone.now()
    put(upload, "digest", source)
    after = timezone.now()

    found = jobs("digest")
    assert sorted(found) == ["digest-heartbeat", "digest-onboarding"]
    once, heartbeat = found["digest-onboarding"], found["digest-heartbeat"]
    assert (once.type, once.handler) == ("one-off", "sendDailyDigest")
    assert once.run_at == datetime(2025, 1, 1, 9, tzinfo=UTC)
    # runAt is past: it runs once, as soon as possible.
    assert before <= once.next_run_at <= after
    assert (heartbeat.type, heartbeat.handler) == ("recurring", "sendDailyDigest")
    assert heartbeat.interval_seconds == 30 * 60
    # "When omitted the first run happens one interval from now."
    window = (before + timedelta(minutes=30), after + timedelta(minutes=30, seconds=1))
    assert window[0] - timedelta(seconds=1) <= heartbeat.next_run_at <= window[1]
    assert heartbeat.next_run_at == heartbeat.start_at
    assert all(j.enabled and not j.from_header for j in found.values())
    assert once.pk == job_id("acme", "digest", "digest-onboarding")


def test_calls_return_the_seeds_strings_with_the_stored_job_id(cast, upload, api):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-03-01T12:00:00Z"})',
            'schedulerService.registerOnce({handler: "tock", runAt: "2025-01-01T09:00:00Z", name: "late"})',
            'schedulerService.registerRecurring({handler: "tick", intervalMinutes: 90, startAt: "2099-01-01T00:00:00Z", name: "every"})',
            'schedulerService.registerCron({handler: "tock", cron: "0 9 * * *", timezone: "Europe/Helsinki", name: "daily"})',
        ),
    )
    ids = {name: str(job.pk) for name, job in jobs("s").items()}
    assert said(api) == [
        f"Job 'tick' scheduled to run tick once at 2099-03-01T12:00:00Z (job id {ids['tick']})",
        "Job 'late' scheduled to run tock once at 2025-01-01T09:00:00Z, which is past: "
        f"it runs once, as soon as possible (job id {ids['late']})",
        "Job 'every' runs tick every 90 minutes; next run at 2099-01-01T00:00:00Z "
        f"(job id {ids['every']})",
        "Job 'daily' runs tock on the cron schedule '0 9 * * *' (Europe/Helsinki) "
        f"(job id {ids['daily']})",
    ]
    daily = jobs("s")["daily"]
    assert (daily.cron, daily.timezone) == ("0 9 * * *", "Europe/Helsinki")
    assert daily.next_run_at.astimezone(UTC).hour in (6, 7)  # 09:00 in Helsinki


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("'tick'", "options must be an object"),
        ('{runAt: "2099-01-01T00:00:00Z"}', "options.handler must be the name"),
        ('{handler: "tick", runAt: "2099-01-01T00:00:00"}', "ending in 'Z'"),
        ('{handler: "tick", runAt: "2099-01-01"}', 'got "2099-01-01"'),
        ('{handler: "tick", runAt: "2099-02-30T00:00:00Z"}', "options.runAt"),
        ('{handler: "tick", runAt: 1700000000000}', "options.runAt"),
        ('{handler: "tick", runAt: "2099-01-01T00:00:00Z", name: ""}', "options.name"),
        ('{handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "@x"}', "'@'"),
    ],
)
def test_register_once_refuses_bad_options_saying_which(cast, upload, options, says):
    privileged(cast["acme"], "s")
    body = put(upload, "s", says_call("registerOnce", options))
    assert len(body["warnings"]) == 1
    assert body["warnings"][0].startswith("schedulerService.registerOnce: ")
    assert says in body["warnings"][0]
    assert jobs("s") == {}


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ('{handler: "tick", intervalMinutes: 0.5}', "at least 1"),
        ('{handler: "tick", intervalMinutes: "30"}', 'got "30"'),
        ('{handler: "tick"}', "options.intervalMinutes"),
        ('{handler: "tick", intervalMinutes: NaN}', "options.intervalMinutes"),
        (
            '{handler: "tick", intervalMinutes: 5, startAt: "tomorrow"}',
            "options.startAt",
        ),
    ],
)
def test_register_recurring_refuses_bad_options_saying_which(
    cast, upload, options, says
):
    privileged(cast["acme"], "s")
    body = put(upload, "s", says_call("registerRecurring", options))
    assert len(body["warnings"]) == 1
    assert body["warnings"][0].startswith("schedulerService.registerRecurring: ")
    assert says in body["warnings"][0]
    assert jobs("s") == {}


def says_call(method, options):
    return f"function tick(c) {{}}\nfunction init(c) {{ schedulerService.{method}({options}); }}\n"


def test_a_job_naming_a_missing_handler_is_dropped_with_a_warning(cast, upload):
    privileged(cast["acme"], "s")
    body = put(
        upload,
        "s",
        says_call("registerOnce", '{handler: "nope", runAt: "2099-01-01T00:00:00Z"}'),
    )
    assert body["warnings"] == [
        "scheduled job 'nope' names handler 'nope', which is not a function in this script"
    ]
    assert jobs("s") == {}


def test_an_invalid_cron_expression_refuses_the_upload_with_its_position(cast, upload):
    privileged(cast["acme"], "s")
    reply = upload(
        "s",
        says_call("registerCron", '{handler: "tick", cron: "0 9 * * 8", name: "w"}'),
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_schedule"
    assert error["message"] == (
        "Scheduled job 'w': invalid cron expression '0 9 * * 8': 8 is out of range "
        "0-7 (day of week field, character 9)"
    )
    assert error["details"] == {"job": "w", "field": "day of week", "column": 9}
    assert Script.objects.get(name="s").version == 1  # the placeholder, unchanged


def test_an_unknown_time_zone_refuses_the_upload(cast, upload):
    privileged(cast["acme"], "s")
    reply = upload(
        "s",
        says_call(
            "registerCron",
            '{handler: "tick", cron: "0 9 * * *", timezone: "Mars/Base"}',
        ),
    )
    assert reply.status_code == 400
    assert "unknown time zone 'Mars/Base'" in reply.json()["error"]["message"]
    assert jobs("s") == {}


# ---- privileged scripts only ---------------------------------------------------------


def test_a_script_that_is_not_privileged_gets_a_clear_error_and_no_job(upload):
    body = put(
        upload,
        "plain",
        says_call("registerOnce", '{handler: "tick", runAt: "2099-01-01T00:00:00Z"}'),
    )
    assert body["warnings"] == [
        "schedulerService.registerOnce: only privileged scripts may schedule jobs, "
        "and script 'plain' is not privileged; an administrator can mark it "
        "privileged (admin, Scripts), then upload it again"
    ]
    assert jobs("plain") == {}


def test_top_level_registrations_of_a_script_that_is_not_privileged_are_dropped(
    upload,
):
    source = (
        "function tick(c) {}\n"
        'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z"});\n'
        "function init(c) {}\n"
    )
    body = put(upload, "plain", source)
    assert len(body["warnings"]) == 1
    assert "only privileged scripts may schedule jobs" in body["warnings"][0]
    assert jobs("plain") == {}


# ---- the upload's set replaces the last one -------------------------------------------


def test_a_new_upload_replaces_the_jobs_and_a_kept_name_keeps_its_row(cast, upload):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "a"})',
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "b"})',
        ),
    )
    first = jobs("s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerRecurring({handler: "tock", intervalMinutes: 5, name: "b"})',
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-06-01T00:00:00Z", name: "c"})',
        ),
    )
    second = jobs("s")
    assert sorted(second) == ["b", "c"]
    assert second["b"].pk == first["b"].pk
    assert (second["b"].type, second["b"].handler) == ("recurring", "tock")
    assert second["b"].interval_seconds == 300


def test_re_registering_a_name_in_one_load_overwrites_it(cast, upload):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "x"})',
            'schedulerService.registerOnce({handler: "tock", runAt: "2099-02-01T00:00:00Z", name: "x"})',
        ),
    )
    (job,) = jobs("s").values()
    assert (job.handler, job.run_at) == ("tock", datetime(2099, 2, 1, tzinfo=UTC))


def test_clear_all_in_init_drops_what_was_registered_before_it(cast, upload):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "gone"})',
            "schedulerService.clearAll()",
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "kept"})',
        ),
    )
    assert sorted(jobs("s")) == ["kept"]


def test_an_upload_without_registrations_removes_every_job(cast, upload):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says_call("registerOnce", '{handler: "tick", runAt: "2099-01-01T00:00:00Z"}'),
    )
    assert len(jobs("s")) == 1
    put(upload, "s", "function tick(c) {}\n")
    assert jobs("s") == {}


def test_re_uploading_a_one_off_that_ran_does_not_run_it_again(cast, upload):
    privileged(cast["acme"], "s")
    source = says_call(
        "registerOnce", '{handler: "tick", runAt: "2025-01-01T09:00:00Z"}'
    )
    put(upload, "s", source)
    job = jobs("s")["tick"]
    # What the runner leaves after the run.
    job.next_run_at, job.last_run_at, job.last_status = None, timezone.now(), "ok"
    job.save()
    put(upload, "s", source)
    assert jobs("s")["tick"].next_run_at is None
    # A new runAt is a new one-off: it runs.
    put(upload, "s", source.replace("2025-01-01T09", "2099-01-01T09"))
    assert jobs("s")["tick"].next_run_at == datetime(2099, 1, 1, 9, tzinfo=UTC)


def test_jobs_are_per_tenant_and_ids_never_collide(cast, upload):
    source = says_call(
        "registerOnce", '{handler: "tick", runAt: "2099-01-01T00:00:00Z"}'
    )
    privileged(cast["acme"], "s")
    privileged(cast["globex"], "s")
    put(upload, "s", source)
    reply = upload("s", source, user="erin", host="globex.test")
    assert reply.status_code == 200, reply.content
    acme, globex = jobs("s", cast["acme"])["tick"], jobs("s", cast["globex"])["tick"]
    assert acme.pk != globex.pk
    assert (acme.tenant, globex.tenant) == (cast["acme"], cast["globex"])


# ---- other entry points ---------------------------------------------------------------


def test_the_rest_api_and_the_service_register_jobs_too(cast, api):
    source = says_call("registerRecurring", '{handler: "tick", intervalMinutes: 15}')
    privileged(cast["acme"], "viarest")
    reply = api("alice").put(
        "/system/api/scripts/viarest", {"source": source}, format="json"
    )
    assert reply.status_code == 200, reply.content
    assert jobs("viarest")["tick"].interval_seconds == 900

    privileged(cast["acme"], "viaservice")
    saved = save_script(cast["acme"], "viaservice", source)
    assert saved.warnings == []
    assert jobs("viaservice")["tick"].interval_seconds == 900


# ---- IOTA: @cron and @timezone header tags -------------------------------------------


def test_an_iota_cron_script_with_a_cron_header_gets_a_job_running_main(cast, upload):
    assert IOTA_CRON.startswith('// Cron expression: "0 9 * * *" (daily at 9 AM)\n')
    assert IOTA_CRON in _iota_seed()  # verbatim
    privileged(cast["acme"], "notify")
    header = "/**\n * @cron 0 9 * * *\n * @timezone Europe/Helsinki\n */\n"
    body = put(upload, "notify", header + IOTA_CRON)
    assert body["warnings"] == []

    (job,) = jobs("notify").values()
    assert (job.name, job.handler, job.type) == ("@cron", "main", "cron")
    assert (job.cron, job.timezone, job.from_header) == (
        "0 9 * * *",
        "Europe/Helsinki",
        True,
    )
    local = job.next_run_at.astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Helsinki")
    )
    assert (local.hour, local.minute) == (9, 0)
    assert job.next_run_at > timezone.now()


def test_a_header_cron_job_defaults_to_utc_and_goes_when_the_tag_does(cast, upload):
    privileged(cast["acme"], "notify")
    # (Not "*/10": inside the comment, "*/" would end it.)
    put(
        upload,
        "notify",
        "/**\n * @cron 0-59/10 * * * *\n */\nasync function main() {}\n",
    )
    job = jobs("notify")["@cron"]
    assert job.timezone == "UTC"
    assert job.next_run_at.minute % 10 == 0
    put(upload, "notify", "async function main() {}\n")
    assert jobs("notify") == {}


def test_an_invalid_cron_header_refuses_the_upload_with_line_and_position(upload):
    reply = upload(
        "notify", "/**\n * @name N\n * @cron 0 9 * * 1-\n */\nfunction main() {}\n"
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_header"
    assert error["line"] == 3
    assert error["message"] == (
        "Invalid header comment (line 3): @cron '0 9 * * 1-' is not valid: a value "
        "is missing (day of week field, character 11)"
    )
    assert not Script.objects.filter(name="notify").exists()


def test_a_header_cron_job_of_a_script_that_is_not_privileged_is_kept_disabled(
    upload,
):
    put(upload, "notify", "/**\n * @cron 0 9 * * *\n */\nasync function main() {}\n")
    job = jobs("notify")["@cron"]
    assert job.enabled is False


def test_a_cron_header_cut_short_by_a_star_slash_says_so(upload):
    reply = upload("notify", "/**\n * @cron */10 * * * *\n */\nfunction main() {}\n")
    assert reply.status_code == 400
    assert "'*/' ends the comment" in reply.json()["error"]["message"]


def _iota_seed():
    from tests.conformance.seeds import SEEDS, seeds_dir

    return (seeds_dir() / SEEDS["iota"]).read_text()


def test_said_is_json(cast, upload, api):
    # The route the tests above read answers what init() pushed, as JSON.
    privileged(cast["acme"], "s")
    put(upload, "s", says('"plain"'))
    assert json.loads(api(host=HOST).get("/said").content) == ["plain"]


def test_ids_in_the_strings_match_for_names_beyond_ascii(cast, upload, api):
    privileged(cast["acme"], "s")
    put(
        upload,
        "s",
        says(
            'schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z", name: "raportti-ä€😀"})'
        ),
    )
    job = jobs("s")["raportti-ä€😀"]
    assert job.pk == job_id("acme", "s", "raportti-ä€😀")
    assert said(api)[0].endswith(f"(job id {job.pk})")


TOP_LEVEL = """
function tick(c) {}
var said = schedulerService.registerOnce({handler: "tick", runAt: "2099-01-01T00:00:00Z"});
function answer(c) { return said; }
routeRegistry.registerRoute("/said", "answer", "GET");
"""


def test_a_top_level_call_before_init_learns_its_id_at_upload(cast, upload, api):
    # Before init(context) the script's identity is not known to the call.
    privileged(cast["acme"], "s")
    put(upload, "s", TOP_LEVEL)
    assert (
        api(host=HOST)
        .get("/said")
        .content.decode()
        .endswith("(job id assigned at upload)")
    )
    job = jobs("s")["tick"]
    assert job.pk == job_id("acme", "s", "tick") and job.enabled


def test_top_level_jobs_of_a_script_without_init_that_is_not_privileged_stay_disabled(
    upload,
):
    # Nothing could tell the call; the host stores the job, disabled.
    put(upload, "plain", TOP_LEVEL)
    assert jobs("plain")["tick"].enabled is False


def test_the_host_refuses_a_registration_it_cannot_store(cast):
    from scheduler_app.registry import JobInvalid, spec_of

    good = {
        "name": "n",
        "handler": "h",
        "type": "one-off",
        "runAt": "2099-01-01T00:00:00Z",
    }
    assert spec_of(good).run_at == datetime(2099, 1, 1, tzinfo=UTC)
    for wrong, says in (
        ({"name": "x" * 129}, "1-128 characters"),
        ({"handler": "h" * 129}, "function name"),
        ({"handler": "not a name"}, "function name"),
        ({"runAt": "2099-01-01T00:00:00"}, "ending in 'Z'"),
        ({"type": "weekly"}, "no known type"),
        (
            {
                "type": "recurring",
                "intervalSeconds": 30,
                "startAt": "2099-01-01T00:00:00Z",
            },
            "at least 1",
        ),
    ):
        with pytest.raises(JobInvalid, match=says):
            spec_of({**good, **wrong})
