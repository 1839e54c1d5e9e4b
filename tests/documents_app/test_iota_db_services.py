"""IOTA's `db` and `services` over the document store, through a script route."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from documents_app import effects
from documents_app.models import Entity
from scripts_app.hosting import EffectConflict, EffectRejected, Invocation

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "acme.test"


def route(upload, body, name="iota", path="/run", method="POST"):
    source = (
        f"async function handler(context) {{\n{body}\n}}\n"
        f'routeRegistry.registerRoute("{path}", "handler", "{method}");\n'
    )
    reply = upload(name, source)
    assert reply.status_code == 201, reply.content
    return path


def run(api, path="/run", host=HOST):
    return api(host=host).post(path)


def stored(collection="clients", tenant="acme"):
    rows = Entity.objects.filter(tenant__slug=tenant, collection=collection)
    return {e.body["id"]: e.body for e in rows}


def test_insert_find_update_delete_and_read_your_writes(api, upload):
    route(
        upload,
        """
        const a = await db.insert("clients", {id: "a", name: "Ann", status: "active"});
        await db.insert("clients", {id: "b", name: "Bob", status: "inactive"});
        const seen = await db.findOne("clients", {name: "Ann"});
        const active = await db.findMany("clients", {status: "active"});
        const updated = await db.update("clients", "b", {status: "active"});
        const both = await db.findMany("clients", {status: "active"});
        const gone = await db.delete("clients", "a");
        const again = await db.delete("clients", "a");
        return {status: 200, body: {a: a, seen: seen, active: active.map(c => c.id),
          updated: updated, both: both.map(c => c.id).sort(), gone: gone, again: again,
          after: await db.findOne("clients", {id: "a"})}};
        """,
    )

    body = run(api).json()

    assert body["a"] == {
        "id": "a",
        "name": "Ann",
        "status": "active",
        "uri": "/clients/a",
    }
    assert body["seen"]["id"] == "a"
    assert body["active"] == ["a"]
    assert body["updated"]["status"] == "active"
    assert body["both"] == ["a", "b"]
    assert (body["gone"], body["again"], body["after"]) == (True, False, None)
    assert stored() == {
        "b": {"id": "b", "name": "Bob", "status": "active", "uri": "/clients/b"}
    }


def test_a_failed_invocation_writes_nothing_and_sends_no_mail(api, upload):
    route(
        upload,
        """
        await db.insert("clients", {id: "a", name: "Ann"});
        await services.notifications.sendEmail({to: "ann@example.com", subject: "Hi", body: "x"});
        throw new Error("changed my mind");
        """,
    )

    reply = run(api)

    assert reply.status_code == 500
    assert stored() == {}
    assert mail.outbox == []


def test_send_email_goes_out_after_success(api, upload):
    route(
        upload,
        """
        const r = await services.notifications.sendEmail({
          to: "ann@example.com", subject: "We miss you!", body: "Hello Ann"});
        return {status: 200, body: r};
        """,
    )

    reply = run(api)

    assert reply.json() == {"queued": True, "to": ["ann@example.com"]}
    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (
        ["ann@example.com"],
        "We miss you!",
        "Hello Ann",
    )


@pytest.mark.parametrize(
    "filters, ids",
    [
        ([{"field": "tier", "operator": "eq", "value": 2}], ["b"]),
        ([{"field": "tier", "operator": "ne", "value": 2}], ["a", "c"]),
        ([{"field": "tier", "operator": "lt", "value": 2}], ["a"]),
        ([{"field": "tier", "operator": "lte", "value": 2}], ["a", "b"]),
        ([{"field": "tier", "operator": "gt", "value": 1}], ["b", "c"]),
        ([{"field": "tier", "operator": "gte", "value": 3}], ["c"]),
        ([{"field": "last_activity", "operator": "lt", "value": "2024-02-01"}], ["a"]),
        ([{"field": "name", "operator": "in", "value": ["Ann", "Cy"]}], ["a", "c"]),
        ([{"field": "name", "operator": "contains", "value": "n"}], ["a"]),
        ([{"field": "tags", "operator": "contains", "value": "vip"}], ["b"]),
        ([{"field": "address.city", "operator": "eq", "value": "Oslo"}], ["c"]),
        (
            [
                {"field": "tier", "operator": "gte", "value": 2},
                {"field": "name", "operator": "eq", "value": "Bob"},
            ],
            ["b"],
        ),
    ],
)
def test_services_list_filters(api, upload, cast, filters, ids):
    import json

    for body in (
        {
            "id": "a",
            "name": "Ann",
            "tier": 1,
            "last_activity": "2024-01-05",
            "tags": [],
        },
        {
            "id": "b",
            "name": "Bob",
            "tier": 2,
            "last_activity": "2024-03-01",
            "tags": ["vip"],
        },
        {"id": "c", "name": "Cy", "tier": 3, "address": {"city": "Oslo"}},
    ):
        Entity.objects.create(
            tenant=cast["acme"],
            collection="clients",
            uri=f"/clients/{body['id']}",
            body={**body, "uri": f"/clients/{body['id']}"},
        )
    route(
        upload,
        f"const found = await services.clients.list({{filters: {json.dumps(filters)}, limit: 10}});\n"
        "return {status: 200, body: found.map(c => c.id).sort()};",
    )

    assert run(api).json() == ids


def test_services_crud_and_errors(api, upload):
    route(
        upload,
        """
        const created = await services.clients.create({name: "New Client"});
        const got = await services.clients.get(created.id);
        const updated = await services.clients.update(created.id, {name: "Renamed"});
        let getNull, query, badOp;
        try { await services.clients.get(null); } catch (e) { getNull = e.message; }
        try { await db.query("SELECT * FROM users"); } catch (e) { query = e.message; }
        try { services.clients.list({filters: [{field: "x", operator: "like", value: 1}]}); }
        catch (e) { badOp = e.message; }
        return {status: 200, body: {id: created.id, got: got.name, updated: updated.name,
          getNull: getNull, query: query, badOp: badOp,
          deleted: await services.clients.delete(created.id)}};
        """,
    )

    body = run(api).json()

    assert len(body["id"]) == 36 and body["got"] == "New Client"
    assert body["updated"] == "Renamed"
    assert body["getNull"] == (
        "services.clients.get: the id must be a non-empty string or a number, got null"
    )
    assert "db.findOne(collection, where)" in body["query"]
    assert "use one of eq, ne, lt, lte, gt, gte, in, contains" in body["badOp"]
    assert body["deleted"] is True
    assert stored() == {}


def test_collections_are_per_tenant(api, upload):
    reader = 'return {status: 200, body: await db.findMany("clients", {})};'
    route(upload, 'await db.insert("clients", {id: "a"}); return "ok";')
    route(upload, reader, name="reader", path="/read", method="GET")
    globex = upload(
        "reader",
        "async function handler(context) {" + reader + "}\n"
        'routeRegistry.registerRoute("/read", "handler", "GET");',
        user="erin",
        host="globex.test",
    )
    assert globex.status_code == 201
    run(api)

    acme = api(host=HOST).get("/read").json()
    other = api(host="globex.test").get("/read").json()

    assert [c["id"] for c in acme] == ["a"]
    assert other == []


def test_inserting_an_existing_id_fails_with_a_clear_error(api, upload):
    route(upload, 'await db.insert("clients", {id: "a", n: 1}); return "ok";')

    first = run(api)
    second = run(api)

    assert first.status_code == 200
    assert second.status_code == 500
    assert "db.insert: clients 'a' already exists" in second.json()["error"]["message"]
    assert stored()["a"]["n"] == 1


def _insert(collection="counters", id="hits", n=1):
    return {
        "kind": "store.insert",
        "data": {"collection": collection, "id": id, "entity": {"id": id, "n": n}},
    }


def _losing_the_race(monkeypatch):
    """store.write as it fails when another worker's INSERT of the same URI
    committed while this one waited on the key (PostgreSQL), after the look
    for the row found nothing."""

    def write(tenant, uri, body):
        raise IntegrityError('duplicate key value violates "entity_unique_uri"')

    monkeypatch.setattr(effects.store, "write", write)


def test_an_insert_after_a_look_that_loses_a_race_is_a_conflict(cast, monkeypatch):
    # Two workers both found no counter and insert it: the second one's
    # invocation runs again (it was a 500 "internal error"), then finds the
    # counter and updates it (tests/e2e/test_triggers_over_http.py, fifty
    # bumps across two workers).
    invocation = Invocation(tenant=cast["acme"], script_id=0, script_name="c", kind="x")
    effects.note_reads(invocation, [], "counters")
    _losing_the_race(monkeypatch)

    with pytest.raises(EffectConflict) as raised, transaction.atomic():
        effects.apply(invocation, [_insert()])

    assert raised.value.keys == (effects.lock_name(cast["acme"].id, "/counters/hits"),)


def test_an_insert_without_a_look_that_loses_a_race_says_it_exists(cast, monkeypatch):
    invocation = Invocation(tenant=cast["acme"], script_id=0, script_name="c", kind="x")
    _losing_the_race(monkeypatch)
    exists = "db.insert: clients 'a' already exists"

    with pytest.raises(EffectRejected, match=exists), transaction.atomic():
        effects.apply(invocation, [_insert("clients", "a")])
