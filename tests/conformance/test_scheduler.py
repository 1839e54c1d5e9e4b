"""The aiwebengine seed's schedulerService registrations do what the seed says.

The seed's "Complete Example" runs verbatim (fixtures/aiwebengine/
scheduler_complete_example.js, checked against the seed here) in a script an
administrator marked privileged ("Only privileged scripts may call these
methods"). These tests cover the registrations; that the jobs then fire is
the runner's (tests/scheduler_app, tests/e2e).
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from scheduler_app.models import Job
from scripts_app.models import Script
from tests.conformance.seeds import block, fixture

conforms = pytest.mark.conforms
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def put(cast, upload):
    """Upload a source as alice in acme, into a privileged script."""

    def put(name, text):
        Script.objects.get_or_create(
            tenant=cast["acme"],
            name=name,
            defaults={"source": "var placeholder;", "privileged": True},
        )
        reply = upload(name, text)
        assert reply.status_code in (200, 201), reply.content
        return {j.name: j for j in Job.objects.filter(script__name=name)}

    return put


# The seed's example, with init() also keeping what each call returned, for
# the strings: the code before is the seed's, verbatim.
RETURNS = """
var returned = [];
function said(context) { return { status: 200, body: returned }; }
routeRegistry.registerRoute("/said", "said", "GET");
"""


def _with_returns(source):
    return (
        source.replace(
            "schedulerService.registerOnce(",
            "returned.push(schedulerService.registerOnce(",
        )
        .replace(
            "schedulerService.registerRecurring(",
            "returned.push(schedulerService.registerRecurring(",
        )
        .replace("  });\n", "  }));\n")
        + RETURNS
    )


@conforms(
    "schedulerService.registerOnce(options)",
    "schedulerService.registerRecurring(options)",
    "schedulerService.clearAll()",
)
def test_complete_example(put):
    source = fixture("aiwebengine", "scheduler_complete_example")
    assert source == block("aiwebengine", "Complete Example")
    before = timezone.now()
    jobs = put("digest", source)
    after = timezone.now()
    assert sorted(jobs) == ["digest-heartbeat", "digest-onboarding"]
    once = jobs["digest-onboarding"]
    assert once.run_at == datetime(2025, 1, 1, 9, tzinfo=UTC)
    heartbeat = jobs["digest-heartbeat"]
    assert heartbeat.interval_seconds == 1800
    half_hour = timedelta(minutes=30)
    assert before + half_hour - timedelta(seconds=1) <= heartbeat.next_run_at
    assert heartbeat.next_run_at <= after + half_hour + timedelta(seconds=1)


@conforms("schedulerService.registerOnce(options)")
def test_register_once_returns_the_time_and_the_job_id(put, api):
    jobs = put(
        "digest", _with_returns(fixture("aiwebengine", "scheduler_complete_example"))
    )
    returned = api(host="acme.test").get("/said").json()
    once = jobs["digest-onboarding"]
    assert "2025-01-01T09:00:00Z" in returned[0]
    assert re.search(UUID, returned[0]).group() == str(once.pk)
    # "name: Defaults to the handler name."
    jobs = put(
        "named",
        'function h(c) {}\nfunction init(c) { schedulerService.registerOnce({handler: "h", runAt: "2099-03-01T12:00:00Z"}); }\n',
    )
    assert list(jobs) == ["h"]


@conforms("schedulerService.registerRecurring(options)")
def test_register_recurring_returns_cadence_next_run_and_job_id(put, api):
    jobs = put(
        "digest", _with_returns(fixture("aiwebengine", "scheduler_complete_example"))
    )
    returned = api(host="acme.test").get("/said").json()
    heartbeat = jobs["digest-heartbeat"]
    assert "every 30 minutes" in returned[1]
    assert re.search(UUID, returned[1]).group() == str(heartbeat.pk)
    next_run = re.search(r"next run at (\S+Z)", returned[1]).group(1)
    stated = datetime.fromisoformat(next_run.replace("Z", "+00:00"))
    # The serving context ran init() again a moment later: the same cadence.
    assert abs(stated - heartbeat.next_run_at) < timedelta(minutes=1)


@conforms("schedulerService.clearAll()")
def test_clear_all_runs_before_each_init(put):
    put("digest", fixture("aiwebengine", "scheduler_complete_example"))
    # A new deploy without the heartbeat: only what its init() registers stays.
    source = fixture("aiwebengine", "scheduler_complete_example")
    start = source.index("  // Run every 30 minutes")
    end = source.index("  return { success: true };")
    jobs = put("digest", source[:start] + source[end:])
    assert sorted(jobs) == ["digest-onboarding"]
