"""IOTA's context: a global, with user.permissions and execution.triggeredBy."""

import json

import pytest

from storage_app.models import StoredItem
from tests.scripts_app.test_routing_http import Caller

# IOTA seed, "Usage Examples / HTTP Endpoint: Custom Report", verbatim; then
# its registration. (The seed's path is /api/custom/sales-report; /api is the
# platform's own until the REST API moves to /system/api.)
SALES_REPORT = """// Endpoint: GET /api/custom/sales-report?start=2024-01-01&end=2024-01-31
async function handleRequest(req) {
// Validate permissions
if (!context.user.permissions.includes('reports.view')) {
return {
status: 403,
body: { error: 'Access denied' }
};
}
const startDate = req.query.start || utils.date.addDays(utils.date.now(), -30);
const endDate = req.query.end || utils.date.now();
// Query sales data
const sales = await db.query(
`SELECT DATE(order_date) as date, COUNT(*) as orders, SUM(total) as revenue
FROM orders
WHERE order_date BETWEEN $1 AND $2
GROUP BY DATE(order_date)
ORDER BY date DESC`,
[startDate, endDate]
);
// Aggregate data
const summary = {
total_orders: sales.reduce((sum, day) => sum + day.orders, 0),
total_revenue: sales.reduce((sum, day) => sum + day.revenue, 0),
days_included: sales.length
};
return {
status: 200,
headers: { 'Content-Type': 'application/json' },
body: {
summary: summary,
daily: sales
}
};
}
routeRegistry.registerRoute("/reports/sales-report", "handleRequest", "GET");
"""

WHO = """
function who(c) {
  return {
    status: 200,
    body: { user: context.user, triggeredBy: context.execution.triggeredBy },
  };
}
routeRegistry.registerRoute("/who", "who", "GET");
"""

WRITE = [
    "scripts.create",
    "scripts.read",
    "scripts.update",
    "scripts.delete",
    "scripts.execute",
]


def test_the_iota_sales_report_example_refuses_a_user_without_reports_view(
    db, upload, api
):
    assert upload("sales", SALES_REPORT).status_code == 201
    for name in ("alice", "charlie", "root"):
        r = api(name).get("/reports/sales-report?start=2024-01-01&end=2024-01-31")
        assert r.status_code == 403, (name, r.content)
        assert r.json() == {"error": "Access denied"}


@pytest.mark.parametrize(
    ("name", "permissions"),
    [
        ("alice", WRITE),  # owner
        ("bob", WRITE),  # developer
        ("charlie", ["scripts.read"]),  # viewer: reads, runs nothing
        ("dave", []),  # no role in acme
        ("erin", []),  # owner of globex, nobody here
        ("root", WRITE),  # superusers act as owners
    ],
)
def test_user_permissions_are_the_codenames_of_the_role_in_the_tenant(
    db, upload, api, cast, name, permissions
):
    assert upload("who", WHO).status_code == 201
    body = api(name).get("/who").json()
    assert body["user"]["id"] == str(cast[name].pk)
    assert body["user"]["permissions"] == permissions
    assert body["triggeredBy"] == "http"


@pytest.fixture
def who(upload):
    assert upload("who", WHO).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["fast path", "django view"])
async def test_an_anonymous_caller_has_no_user_and_an_http_trigger(who, path):
    body = (await Caller(path)("GET", "/who")).json()
    assert body == {"user": None, "triggeredBy": "http"}


# IOTA seed, "Monitoring and Logging / Metrics", verbatim inside a route handler,
# and a listener of the event it publishes.
METRICS = """
async function work(c) {
// Track execution metrics
await events.publish('script.metric', {
script_name: context.script.name,
duration_ms: 1234,
items_processed: 500,
errors: 0
});
return "published";
}
routeRegistry.registerRoute("/work", "work", "POST");
"""
METRIC_LISTENER = """
async function onMetric(event) {
  await storage.set("last-metric", {
    script_name: event.data.script_name,
    triggeredBy: context.execution.triggeredBy,
    same: context === event,
  });
}
events.subscribe("script.metric", "onMetric");
"""


def test_the_iota_metrics_example_reads_the_global_context_and_reaches_an_event(
    db, cast, upload, api
):
    assert upload("metrics", METRIC_LISTENER).status_code == 201
    assert upload("worker", METRICS).status_code == 201

    r = api().post("/work")

    assert r.status_code == 200, r.content
    item = StoredItem.objects.get(
        tenant=cast["acme"], namespace="tenant", key="last-metric"
    )
    assert json.loads(item.value) == {
        "script_name": "worker",
        "triggeredBy": "event",
        "same": True,
    }


RESOLVER = """
function hello(c) { return "hello via " + context.execution.triggeredBy; }
graphQLRegistry.registerQuery("hello", "type Query { hello: String }", "hello", "external");
"""


def test_a_graphql_resolver_is_triggered_by_the_api(db, upload, api):
    response = upload("resolver", RESOLVER)
    assert response.status_code == 201, response.content
    r = api("alice").post(
        "/graphql", {"query": "{ hello }"}, format="json", HTTP_HOST="acme.test"
    )
    assert r.status_code == 200, r.content
    assert r.json()["data"]["hello"] == "hello via api"


def test_a_run_must_say_what_triggered_it_in_iotas_words():
    from scripts_app.invocations import triggered_by_of

    assert triggered_by_of("cron", None) == "cron"
    assert triggered_by_of("manual", None) == "manual"
    assert triggered_by_of("listener", "event") == "event"
    with pytest.raises(ValueError, match="triggered_by must be one of"):
        triggered_by_of("listener", None)
    with pytest.raises(ValueError, match="triggered_by must be one of"):
        triggered_by_of("http", "message")


# IOTA seed, "Usage Examples / Event Handler: Update Analytics", verbatim; then
# its subscription, and a publisher (an HTTP route) of the event.
ORDER_CREATED = """// Handle order.created event
async function handleOrderCreated(event) {
const order = event.data;
// Update daily sales cache
const today = utils.date.format(utils.date.now(), "YYYY-MM-DD");
const cacheKey = `daily_sales_${today}`;
const current = await storage.get(cacheKey) || { count: 0, total: 0 };
current.count += 1;
current.total += order.total;
await storage.set(cacheKey, current, 86400); // Cache for 24 hours
console.info(`Updated sales cache: ${current.count} orders, $${current.total}`);
}
events.subscribe("order.created", "handleOrderCreated");
"""
ORDERS = """
async function order(req) {
  await events.publish("order.created", { total: Number(req.query.total) });
  console.log("Order placed", { tenant: context.tenant.id, by: context.execution.triggeredBy });
  return "placed";
}
routeRegistry.registerRoute("/orders", "order", "POST");
"""


def test_the_iota_event_handler_example_runs_verbatim(db, cast, upload, api, records):
    from datetime import UTC, datetime

    from scripts_app.models import LogEntry
    from scripts_app.records import buffer

    buffer().clear()
    assert upload("sales-analytics", ORDER_CREATED).status_code == 201
    assert upload("orders", ORDERS).status_code == 201

    assert api().post("/orders?total=30").status_code == 200
    assert api().post("/orders?total=12").status_code == 200

    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")
    item = StoredItem.objects.get(
        tenant=cast["acme"], namespace="tenant", key=f"daily_sales_{today}"
    )
    assert json.loads(item.value) == {"count": 2, "total": 42}
    records()
    handled = LogEntry.objects.filter(script_name="sales-analytics", level="INFO")
    assert "Updated sales cache: 2 orders, $42" in [e.message for e in handled]
    placed = LogEntry.objects.filter(script_name="orders", message="Order placed")
    assert [e.fields for e in placed] == [{"tenant": "acme", "by": "http"}] * 2
