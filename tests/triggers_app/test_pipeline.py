"""Triggers around store requests: pre-processing, post-processing, custom
endpoints and system messages, through the REST API (Django's test client;
tests/e2e/test_triggers_over_http.py does the same over real HTTP)."""

import pytest

from documents_app.models import Entity
from scripts_app.models import Execution
from triggers_app.models import SystemMessage, Trigger

pytestmark = pytest.mark.django_db(transaction=True)

# The seed's example (predix-scripts.md), without its numbered call-outs.
VALIDATE_LINKS = """'use strict';

/**
 * Cancels a request if one or more properties do not link to an entity.
 *
 * @name      ValidateLinksExist
 * @author    John Doe
 * @execution pre-processing
 * @methods   POST, PUT
 *
 * @param {Array<String>} properties - Properties that must link to an entity.
 */

for (let p of parameters.properties) {
  let linkUri = o[p];
  if (!linkUri) {
    $.cancelRequest(o.uri + ' does not have a ' + p + ' property');
  }
  else {
    let response = yield $.get(linkUri);
    if (response.body.length < 1) {
      $.cancelRequest(o.uri + ' ' + p + ' property does not link to entity');
    }
  }
}
"""


def header(execution, methods="POST, PUT, PATCH, DELETE, GET", extra=""):
    return f"/**\n * @execution {execution}\n * @methods {methods}\n{extra} */\n"


def trigger(api, name, script, on="/assets", methods=("POST", "PUT"), **more):
    reply = api("bob").post(
        "/system/triggers",
        {
            "uri": f"/system/triggers/{name}",
            "onReferenceTo": on,
            "methods": list(methods),
            "script": script,
            **more,
        },
        format="json",
    )
    assert reply.status_code == 201, reply.content
    return Trigger.objects.get(name=name)


def stored():
    return {e.uri: e.body for e in Entity.objects.order_by("uri")}


def error(reply):
    return reply.json()["error"]["message"]


def test_the_seeds_example_validates_links(api, upload):
    assert upload("validate-links", VALIDATE_LINKS).status_code == 201
    trigger(api, "links", "validate-links", scriptParameters={"properties": ["parent"]})
    client = api("bob")

    missing = client.post("/store/assets", {"uri": "/assets/a"}, format="json")
    dangling = client.post(
        "/store/assets", {"uri": "/assets/a", "parent": "/sites/x"}, format="json"
    )
    client.put(
        "/store/sites/x", {"name": "site x"}, format="json"
    )  # no trigger on /sites
    linked = client.post(
        "/store/assets", {"uri": "/assets/a", "parent": "/sites/x"}, format="json"
    )

    assert missing.status_code == 422
    assert error(missing) == "/assets/a does not have a parent property"
    assert dangling.status_code == 422
    assert error(dangling) == "/assets/a parent property does not link to entity"
    assert linked.status_code == 201
    assert stored()["/assets/a"] == {"uri": "/assets/a", "parent": "/sites/x"}
    cancels = [
        m.pre_processing[0]["messages"]
        for m in SystemMessage.objects.order_by("created_at")
    ]
    assert cancels == [
        ["Request cancelled: /assets/a does not have a parent property"],
        ["Request cancelled: /assets/a parent property does not link to entity"],
    ]


def test_a_post_of_three_entities_runs_the_script_three_times(api, upload):
    upload("stamp", header("pre-processing") + "o.stamped = true; $.updateEntity(o);")
    t = trigger(api, "stamp", "stamp")

    reply = api("bob").post(
        "/store/assets", [{"uri": f"/assets/{i}"} for i in range(3)], format="json"
    )

    assert reply.status_code == 201
    assert all(e["stamped"] for e in stored().values()) and len(stored()) == 3
    from scripts_app.records import buffer

    buffer().flush()
    assert (
        Execution.objects.filter(ref=f"trigger:{t.id}", kind="pre-processing").count()
        == 3
    )


def test_remove_entity_drops_it_and_says_why(api, upload):
    upload(
        "no-drafts",
        header("pre-processing")
        + "if (o.draft) { $.removeEntity('drafts are not stored'); }",
    )
    trigger(api, "no-drafts", "no-drafts")

    reply = api("bob").post(
        "/store/assets",
        [{"uri": "/assets/a"}, {"uri": "/assets/b", "draft": True}],
        format="json",
    )

    assert reply.status_code == 201
    assert list(stored()) == ["/assets/a"]
    (message,) = SystemMessage.objects.all()
    assert message.pre_processing[0]["messages"] == [
        "Entity removed: drafts are not stored"
    ]


def test_update_body_changes_a_patch(api, upload):
    upload(
        "clamp",
        header("pre-processing", "PATCH")
        + "$.updateBody(o.map(op => op.path === '/rpm' ? "
        "Object.assign({}, op, {value: Math.min(op.value, 3000)}) : op));",
    )
    trigger(api, "clamp", "clamp", methods=["PATCH"])
    api("bob").put("/store/assets/p", {"rpm": 1}, format="json")

    reply = api("bob").patch(
        "/store/assets/p",
        [{"op": "replace", "path": "/rpm", "value": 9000}],
        format="json",
    )

    assert reply.status_code == 200
    assert stored()["/assets/p"]["rpm"] == 3000


def test_inject_current_gives_the_stored_entity(api, upload):
    upload(
        "no-downgrade",
        header("pre-processing", "PUT", " * @inject current\n")
        + "if (current && o.version < current.version) "
        "{ $.cancelRequest('version ' + o.version + ' is older than ' + current.version); }",
    )
    trigger(api, "no-downgrade", "no-downgrade", methods=["PUT"])
    client = api("bob")

    first = client.put("/store/assets/p", {"version": 2}, format="json")
    older = client.put("/store/assets/p", {"version": 1}, format="json")

    assert first.status_code == 201
    assert (older.status_code, error(older)) == (422, "version 1 is older than 2")
    assert stored()["/assets/p"]["version"] == 2


def test_a_script_that_throws_fails_the_request_and_leaves_a_message(api, upload):
    upload("broken", header("pre-processing") + "\nnothing.here();\n")
    trigger(api, "broken", "broken")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == "trigger_failed"
    assert "ReferenceError: nothing is not defined (broken.js:6:1)" in error(reply)
    assert stored() == {}
    (message,) = SystemMessage.objects.all()
    assert (
        "Trigger 'broken' (script 'broken') failed"
        in message.pre_processing[0]["messages"][0]
    )


def test_a_pre_processing_script_past_its_time_is_stopped(api, upload, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "LIMITS": {**settings.SCRIPTS["LIMITS"], "pre-processing": (0.3, 20)},
    }
    upload("spin", header("pre-processing") + "while (true) {}")
    trigger(api, "spin", "spin")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 504
    assert "ran past its time limit" in error(reply)
    assert stored() == {}
    assert SystemMessage.objects.count() == 1


def test_log_writes_a_system_message_and_the_request_goes_on(api, upload):
    upload("audit", header("pre-processing") + "$.log('saw ' + o.uri);")
    t = trigger(api, "audit", "audit")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 201
    (message,) = api("charlie").get("/system/messages").json()
    assert message["request"]["method"] == "POST"
    assert message["request"]["url"] == "/store/assets"
    (report,) = message["preProcessing"]
    assert report["trigger"] == t.uri
    assert report["script"] == "/system/scripts/audit"
    assert report["messages"] == ["saw /assets/a"]
    assert report["timeElapsedMs"] >= 0


def test_post_processing_runs_after_the_write_and_may_write(api, upload, background):
    upload(
        "count",
        header("post-processing", "POST")
        + "let r = $.post('/counts', {uri: '/counts/' + o.uri.split('/')[2], seen: true});\n"
        "$.log('wrote ' + r.statusCode);",
    )
    trigger(api, "count", "count", methods=["POST"])

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")
    background()

    assert reply.status_code == 201
    assert stored()["/counts/a"] == {"uri": "/counts/a", "seen": True}
    (message,) = SystemMessage.objects.all()
    assert message.post_processing[0]["messages"] == ["wrote 201"]


def test_post_processing_cascades_stop_at_the_depth_limit(
    api, upload, background, settings
):
    settings.SCRIPTS = {**settings.SCRIPTS, "STORE_TRIGGER_MAX_DEPTH": 2}
    upload(
        "echo",
        header("post-processing", "POST") + "let n = (o.n || 0) + 1;\n"
        "let r = $.post('/assets', {uri: '/assets/e' + n, n: n});\n"
        "$.log('post ' + n + ': ' + r.statusCode);",
    )
    trigger(api, "echo", "echo", methods=["POST"])

    api("bob").post("/store/assets", {"uri": "/assets/e0", "n": 0}, format="json")
    for _ in range(5):
        background()

    assert sorted(stored()) == ["/assets/e0", "/assets/e1", "/assets/e2"]
    said = sorted(
        m
        for msg in SystemMessage.objects.all()
        for r in msg.post_processing
        for m in r["messages"]
    )
    assert said == ["post 1: 201", "post 2: 201", "post 3: 508"]


def test_writes_are_refused_in_pre_processing(api, upload):
    upload("sneaky", header("pre-processing") + "$.post('/other', {uri: '/other/x'});")
    trigger(api, "sneaky", "sneaky")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 500
    assert "$.post is only available in post-processing and custom scripts" in error(
        reply
    )
    assert stored() == {}


def test_a_custom_endpoint_answers_with_set_response(api, upload):
    upload(
        "hello",
        header("custom", "GET, POST") + "let r = yield $.get('/assets');\n"
        "$.setResponse({status: 200, body: {count: r.body.length, "
        "who: parameters.greeting, sent: o}});",
    )
    trigger(
        api,
        "hello",
        "hello",
        on="/custom/hello",
        methods=["GET", "POST"],
        scriptParameters={"greeting": "hi"},
    )
    api("bob").post(
        "/store/assets", [{"uri": "/assets/a"}, {"uri": "/assets/b"}], format="json"
    )

    got = api("charlie").get("/custom/hello")
    posted = api("bob").post("/custom/hello", {"x": 1}, format="json")
    wrong = api("bob").delete("/custom/hello")
    missing = api("bob").get("/custom/nope")

    assert got.json() == {"count": 2, "who": "hi", "sent": None}
    assert posted.json()["sent"] == {"x": 1}
    assert wrong.status_code == 405
    assert missing.status_code == 404


def test_disabled_triggers_do_not_run(api, upload):
    upload("block", header("pre-processing") + "$.cancelRequest('no');")
    trigger(api, "block", "block", disabled=True)

    assert (
        api("bob")
        .post("/store/assets", {"uri": "/assets/a"}, format="json")
        .status_code
        == 201
    )


def test_triggers_are_per_tenant(api, upload):
    upload("block", header("pre-processing") + "$.cancelRequest('no');")
    trigger(api, "block", "block")

    globex = api("erin", host="globex.test").post(
        "/store/assets", {"uri": "/assets/a"}, format="json"
    )
    acme = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert (globex.status_code, acme.status_code) == (201, 422)
    assert api("erin", host="globex.test").get("/system/messages").json() == []


def test_changes_to_triggers_and_scripts_apply_to_the_next_request(api, upload):
    upload("gate", header("pre-processing") + "$.cancelRequest('closed');")
    trigger(api, "gate", "gate")
    client = api("bob")

    closed = client.post("/store/assets", {"uri": "/assets/a"}, format="json")
    upload("gate", header("pre-processing") + "$.cancelRequest('still closed');")
    still = client.post("/store/assets", {"uri": "/assets/a"}, format="json")
    client.put(
        "/system/triggers/gate",
        {
            "onReferenceTo": "/assets",
            "methods": ["POST"],
            "script": "gate",
            "disabled": True,
        },
        format="json",
    )
    opened = client.post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert (closed.status_code, error(closed)) == (422, "closed")
    assert (still.status_code, error(still)) == (422, "still closed")
    assert opened.status_code == 201


def test_past_the_tenants_cap_a_triggered_request_gets_429(api, upload, cast):
    from tests.scripts_app.admitting import held

    upload("audit", header("pre-processing") + "$.log('saw it');")
    trigger(api, "audit", "audit")

    with held(cast["acme"]):
        refused = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")
    after = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert "too many scripts run at once" in error(refused)
    assert after.status_code == 201
    assert list(stored()) == ["/assets/a"]


def test_a_pre_processing_script_past_its_memory_fails_the_request(api, upload):
    upload(
        "hog",
        header("pre-processing")
        + "const a = []; while (true) a.push(new Array(1e5).fill(7));",
    )
    trigger(api, "hog", "hog")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")
    after = api("bob").get("/store/assets")

    assert reply.status_code == 500
    assert "ran past its memory limit" in error(reply)
    assert (after.status_code, after.json()) == (200, [])
    (message,) = SystemMessage.objects.all()
    assert "memory limit" in message.pre_processing[0]["messages"][0]


# A body that says `await` (here only in a comment) runs as an async
# generator; one that does not, as a plain generator driven synchronously
# until it yields a Promise (engine.context.generator_of). Both must give
# the same answers.
YIELDS = """
let plain = yield 2;
let settled = yield new Promise((resolve) => resolve(3));
let caught = "none";
try {
  yield Promise.reject(new Error("refused"));
} catch (e) {
  caught = e.message;
}
let after = yield Promise.resolve(plain + settled);
$.cancelRequest([plain, settled, caught, after, typeof o.uri].join(","));
"""


@pytest.mark.parametrize("comment", ["", "// not awaited: await"])
def test_yield_gives_back_values_and_throws_rejections_in_both_body_kinds(
    api, upload, comment
):
    upload("yields", header("pre-processing") + comment + YIELDS)
    trigger(api, "yields", "yields")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 422, reply.content
    assert error(reply) == "2,3,refused,5,string"
    assert stored() == {}


@pytest.mark.parametrize("comment", ["", "// await"])
def test_a_rejection_the_body_does_not_catch_fails_the_request(api, upload, comment):
    upload(
        "rejects",
        header("pre-processing")
        + comment
        + "\nyield Promise.reject(new Error('gone'));\n",
    )
    trigger(api, "rejects", "rejects")

    reply = api("bob").post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert reply.status_code == 500
    assert "Error: gone" in error(reply)
    assert stored() == {}
