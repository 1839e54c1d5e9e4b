"""console.log(message, {fields}) is stored as a message plus fields, filterable."""

import pytest
from django.test import Client
from django.urls import reverse

from scripts_app.models import LogEntry
from scripts_app.records import buffer
from tests.cast import PASSWORD

# The IOTA seed's "Structured Logging" line, verbatim, in a handler; and
# entries with other field values to filter among.
ACTIONS = """
function act(req) {
// Logs include context automatically
console.log('User action', { user_id: context.user.id, action: 'create' });
console.info("order", { order: { id: Number(req.query.order) }, paid: req.query.paid === "yes" });
console.warn("plain " + req.query.order);
return "ok";
}
routeRegistry.registerRoute("/act", "act", "POST");
"""


@pytest.fixture
def acted(cast, upload, api, records):
    buffer().clear()  # rows other tests queued point at rolled-back tenants
    assert upload("actions", ACTIONS).status_code == 201
    assert api("alice").post("/act?order=7&paid=yes").status_code == 200
    assert api("bob").post("/act?order=8&paid=no").status_code == 200
    records()
    return cast


def listed(api, **params):
    r = api("charlie").get(reverse("log-list"), params)
    assert r.status_code == 200, r.content
    return [(e["message"], e["fields"]) for e in r.json()["results"]]


def test_the_message_and_the_fields_are_stored_apart(acted):
    entry = LogEntry.objects.get(
        message="User action", fields__user_id=str(acted["alice"].pk)
    )
    assert entry.fields == {"user_id": str(acted["alice"].pk), "action": "create"}
    plain = LogEntry.objects.filter(level="WARN").order_by("time")
    assert [(e.message, e.fields) for e in plain] == [("plain 7", {}), ("plain 8", {})]


def test_the_api_shows_fields_and_filters_by_a_string_field(acted, api):
    alice = str(acted["alice"].pk)
    assert listed(api, **{"fields.user_id": alice}) == [
        ("User action", {"user_id": alice, "action": "create"})
    ]


def test_the_api_filters_by_numbers_booleans_and_nested_keys(acted, api):
    assert listed(api, **{"fields.order.id": "8"}) == [
        ("order", {"order": {"id": 8}, "paid": False})
    ]
    assert listed(api, **{"fields.paid": "true"}) == [
        ("order", {"order": {"id": 7}, "paid": True})
    ]
    # Several field filters all apply.
    bob = str(acted["bob"].pk)
    assert listed(api, **{"fields.user_id": bob, "fields.action": "create"}) == [
        ("User action", {"user_id": bob, "action": "create"})
    ]
    assert listed(api, **{"fields.action": "delete"}) == []


def test_a_bad_field_name_is_a_400_in_the_error_shape(acted, api):
    r = api("charlie").get(reverse("log-list"), {"fields.order..id": "1"})
    assert r.status_code == 400
    assert "is not a field name" in r.json()["error"]["message"]


def test_another_tenants_logs_are_never_listed(acted, api):
    r = api("erin").get(
        reverse("log-list"), {"fields.action": "create"}, HTTP_HOST="globex.test"
    )
    assert r.status_code == 200
    assert r.json()["results"] == []


def test_the_admin_lists_fields_and_searches_by_name_equals_value(acted):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    url = reverse("admin:scripts_app_logentry_changelist")

    r = client.get(url, {"q": "order.id=7"})
    assert r.status_code == 200
    rows = r.context["cl"].result_list
    assert [(e.message, e.fields) for e in rows] == [
        ("order", {"order": {"id": 7}, "paid": True})
    ]
    assert b"&quot;paid&quot;: true" in r.content or b'"paid": true' in r.content

    words = client.get(url, {"q": "plain"}).context["cl"].result_list
    assert sorted(e.message for e in words) == ["plain 7", "plain 8"]
