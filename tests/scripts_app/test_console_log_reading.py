"""console.listLogs(), listLogsForUri(uri) and pruneLogs() (aiwebengine) read the tenant's logs."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from scripts_app.models import LogEntry
from scripts_app.records import buffer

# aiwebengine seed, "Console" example, verbatim; then its registrations.
SEED_EXAMPLE = """function debugHandler(req) {
  console.log("Request received: " + req.path);
  console.error("This is an error message");

  return { status: 200, body: "Check logs" };
}

function viewLogsHandler(req) {
  // Get all logs
  const allLogsJson = console.listLogs();
  const allLogs = JSON.parse(allLogsJson);

  // Get logs for a specific script
  const scriptLogsJson = console.listLogsForUri("/api/users");
  const scriptLogs = JSON.parse(scriptLogsJson);

  // Each log entry has: message, level, timestamp (in milliseconds)
  return {
    status: 200,
    body: JSON.stringify({ allLogs, scriptLogs }),
    contentType: "application/json",
  };
}
routeRegistry.registerRoute("/debug", "debugHandler", "GET");
routeRegistry.registerRoute("/view-logs", "viewLogsHandler", "GET");
"""

READER = """
function forUri(req) { return console.listLogsForUri(req.query.uri); }
function all(req) { return console.listLogs(); }
function prune(req) {
  const report = console.pruneLogs();
  return JSON.stringify({ report: report, left: JSON.parse(console.listLogs()).length });
}
function badUri(req) {
  try { console.listLogsForUri(42); } catch (e) { return e.name + ": " + e.message; }
}
routeRegistry.registerRoute("/for-uri", "forUri", "GET");
routeRegistry.registerRoute("/all", "all", "GET");
routeRegistry.registerRoute("/prune", "prune", "POST");
routeRegistry.registerRoute("/bad-uri", "badUri", "GET");
"""

NOISY = """
function noise(req) { console.info("noise " + req.query.n, { n: Number(req.query.n) }); return "ok"; }
routeRegistry.registerRoute("/noise", "noise", "GET");
"""


@pytest.fixture
def scripts(cast, upload, records):
    buffer().clear()  # rows other tests queued point at rolled-back tenants
    for name, source in (("example", SEED_EXAMPLE), ("reader", READER)):
        assert upload(name, source).status_code == 201, name
    assert upload("noisy", NOISY).status_code == 201
    records()
    LogEntry.objects.all().delete()  # entries of the uploads
    return cast


def test_the_seed_example_lists_all_logs_and_none_for_an_unknown_uri(
    scripts, api, records
):
    before = datetime.now(tz=UTC) - timedelta(seconds=1)
    assert api().get("/debug").content == b"Check logs"
    records()

    r = api().get("/view-logs")

    assert r.status_code == 200
    body = r.json()
    assert body["scriptLogs"] == []  # no script has the id /api/users
    assert [(e["message"], e["level"]) for e in body["allLogs"]] == [
        ("This is an error message", "ERROR"),
        ("Request received: /debug", "LOG"),
    ]
    for entry in body["allLogs"]:
        assert set(entry) == {"message", "level", "timestamp"}
        assert isinstance(entry["timestamp"], int)
        assert entry["timestamp"] >= before.timestamp() * 1000


def test_list_logs_for_uri_lists_one_scripts_entries_with_their_fields(
    scripts, api, records
):
    api().get("/debug")
    for n in (1, 2):
        api().get(f"/noise?n={n}")
    records()

    noisy = json.loads(api().get("/for-uri?uri=noisy").content)
    assert [(e["message"], e["level"], e["fields"]) for e in noisy] == [
        ("noise 2", "INFO", {"n": 2}),
        ("noise 1", "INFO", {"n": 1}),
    ]
    assert json.loads(api().get("/for-uri?uri=example").content)[0]["message"] == (
        "This is an error message"
    )
    assert api().get("/bad-uri").content == (
        b"TypeError: console.listLogsForUri expects a script uri (a string)"
    )


def test_logs_of_another_tenant_are_never_listed(scripts, upload, api, records):
    api().get("/debug")
    assert upload("noisy", NOISY, user="erin", host="globex.test").status_code == 201
    api(host="globex.test").get("/noise?n=9")
    records()

    acme = json.loads(api().get("/all").content)
    assert "noise 9" not in [e["message"] for e in acme]
    assert [e["message"] for e in acme] == [
        "This is an error message",
        "Request received: /debug",
    ]
    assert json.loads(api().get("/for-uri?uri=noisy").content) == []


def test_list_logs_returns_at_most_the_newest_logs_listed_max(
    scripts, api, records, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "LOGS_LISTED_MAX": 2}
    for n in (1, 2, 3):
        api().get(f"/noise?n={n}")
    records()
    listed = json.loads(api().get("/all").content)
    assert [e["message"] for e in listed] == ["noise 3", "noise 2"]


def test_prune_logs_keeps_the_newest_entries_of_each_script(
    scripts, api, records, settings, cast
):
    settings.SCRIPTS = {**settings.SCRIPTS, "LOGS_KEPT_ON_PRUNE": 2}
    for n in range(1, 6):
        api().get(f"/noise?n={n}")
    api().get("/debug")  # two entries: within the cap, all kept
    records()
    globex = LogEntry.objects.create(
        tenant=cast["globex"],
        script_name="noisy",
        level="LOG",
        message="globex keeps this",
        time=datetime.now(tz=UTC) - timedelta(days=3),
    )
    for n in range(3):
        LogEntry.objects.create(
            tenant=cast["globex"],
            script_name="noisy",
            level="LOG",
            message=f"newer {n}",
            time=datetime.now(tz=UTC),
        )

    reply = json.loads(api().post("/prune").content)

    assert reply == {"report": "Pruned 3 log entries", "left": 4}
    acme = LogEntry.objects.filter(tenant=cast["acme"])
    assert sorted(e.message for e in acme) == [
        "Request received: /debug",
        "This is an error message",
        "noise 4",
        "noise 5",
    ]
    assert LogEntry.objects.filter(pk=globex.pk).exists()  # not this tenant's
    # Nothing more to prune: the same call prunes nothing.
    records()
    again = json.loads(api().post("/prune").content)
    assert again == {"report": "Pruned 0 log entries", "left": 4}
