"""/system/triggers: CRUD, and the checks against the script a trigger names."""

import pytest

from triggers_app.models import Trigger

pytestmark = pytest.mark.django_db

# The seed's example script, without its numbered call-outs.
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
}
"""

CUSTOM = """/**
 * @execution custom
 * @methods GET, POST
 */
$.setResponse({status: 200, body: "hi"});
"""

TRIGGER = {
    "uri": "/system/triggers/validate-links",
    "onReferenceTo": "/assets",
    "methods": ["POST", "PUT"],
    "script": "/system/scripts/validate-links",
    "scriptParameters": {"properties": ["parent"]},
}


@pytest.fixture
def scripts(upload):
    assert upload("validate-links", VALIDATE_LINKS).status_code == 201
    assert upload("hello", CUSTOM).status_code == 201


def names(tenant="acme"):
    return sorted(
        Trigger.objects.filter(tenant__slug=tenant).values_list("name", flat=True)
    )


def test_post_one_trigger_then_get_it(api, scripts):
    created = api("bob").post("/system/triggers", TRIGGER, format="json")
    got = api("charlie").get("/system/triggers/validate-links")
    listed = api("charlie").get("/system/triggers")

    assert created.status_code == 201
    body = got.json()
    assert {k: body[k] for k in TRIGGER} == TRIGGER
    assert body["disabled"] is False
    assert [t["uri"] for t in listed.json()] == ["/system/triggers/validate-links"]


def test_post_an_array_and_put_replaces(api, scripts):
    custom = {
        "uri": "/system/triggers/hello",
        "onReferenceTo": "/custom/hello",
        "methods": ["GET"],
        "script": "hello",
    }
    created = api("bob").post("/system/triggers", [TRIGGER, custom], format="json")
    replaced = api("bob").put(
        "/system/triggers/validate-links",
        {**TRIGGER, "methods": ["POST"], "disabled": True},
        format="json",
    )

    assert created.status_code == 201
    assert [t["uri"] for t in created.json()] == [TRIGGER["uri"], custom["uri"]]
    assert replaced.status_code == 200
    trigger = Trigger.objects.get(name="validate-links")
    assert (trigger.methods, trigger.disabled) == (["POST"], True)


def test_delete(api, scripts):
    api("bob").post("/system/triggers", TRIGGER, format="json")

    assert api("bob").delete("/system/triggers/validate-links").status_code == 204
    assert api("bob").delete("/system/triggers/validate-links").status_code == 404
    assert names() == []


@pytest.mark.parametrize(
    "change, words",
    [
        (
            {"methods": ["POST", "DELETE"]},
            "supports @methods POST, PUT; the trigger names DELETE",
        ),
        ({"methods": ["FETCH"]}, "Unknown method 'FETCH'"),
        ({"methods": []}, "methods must be a non-empty array"),
        ({"scriptParameters": {}}, "lack 'properties'"),
        ({"scriptParameters": {"properties": "parent"}}, "must be {Array<String>}"),
        ({"scriptParameters": {"properties": [1]}}, "must be {Array<String>}"),
        ({"script": "hello"}, "has @execution custom; a trigger on a collection"),
        ({"script": "nope"}, "No script 'nope'"),
        ({"onReferenceTo": "/custom/x"}, "needs custom"),
        ({"onReferenceTo": "assets"}, "onReferenceTo must be a collection"),
        ({"uri": "/system/triggers/bad name"}, "A trigger id is"),
        ({"disabled": "no"}, "disabled must be true or false"),
        ({"colour": "red"}, "Unknown trigger property 'colour'"),
    ],
)
def test_a_trigger_that_does_not_fit_is_refused(api, scripts, change, words):
    api("bob").post(
        "/system/triggers", {**TRIGGER, "uri": "/system/triggers/kept"}, format="json"
    )

    reply = api("bob").post("/system/triggers", {**TRIGGER, **change}, format="json")

    assert reply.status_code == 400
    assert words in reply.json()["error"]["message"]
    assert names() == ["kept"]


def test_a_bad_trigger_in_an_array_saves_none(api, scripts):
    reply = api("bob").post(
        "/system/triggers",
        [TRIGGER, {**TRIGGER, "uri": "/system/triggers/two", "methods": ["PATCH"]}],
        format="json",
    )

    assert reply.status_code == 400
    assert "(trigger 1)" in reply.json()["error"]["message"]
    assert names() == []


def test_put_with_a_different_uri_in_the_body_is_refused(api, scripts):
    reply = api("bob").put("/system/triggers/other", TRIGGER, format="json")

    assert reply.status_code == 400
    assert "does not match /system/triggers/other" in reply.json()["error"]["message"]


def test_a_script_without_execution_or_methods_cannot_be_triggered(api, upload):
    upload("plain", "function h() {}")
    upload("nomethods", "/**\n * @execution post-processing\n */\nvar x = 1;")

    plain = api("bob").post(
        "/system/triggers", {**TRIGGER, "script": "plain"}, format="json"
    )
    nomethods = api("bob").post(
        "/system/triggers",
        {**TRIGGER, "script": "nomethods", "scriptParameters": {}},
        format="json",
    )

    assert "has @execution (none)" in plain.json()["error"]["message"]
    assert "declares no @methods" in nomethods.json()["error"]["message"]


def test_viewers_cannot_write_and_tenants_are_apart(api, scripts):
    viewer = api("charlie").post("/system/triggers", TRIGGER, format="json")
    api("bob").post("/system/triggers", TRIGGER, format="json")
    other = api("erin", host="globex.test")

    assert viewer.status_code == 403
    assert other.get("/system/triggers").json() == []
    assert other.get("/system/triggers/validate-links").status_code == 404
    # A trigger in globex cannot name acme's script.
    refused = other.post("/system/triggers", TRIGGER, format="json")
    assert "No script 'validate-links'" in refused.json()["error"]["message"]


def test_deleting_a_script_deletes_its_triggers(api, scripts):
    api("bob").post("/system/triggers", TRIGGER, format="json")

    api("bob").delete("/system/scripts/validate-links")

    assert names() == []


@pytest.mark.parametrize(
    "jsdoc, value, fits",
    [
        ("String", "a", True),
        ("String", 1, False),
        ("Number", 1.5, True),
        ("Number", True, False),
        ("Integer", 2, True),
        ("Integer", 2.5, False),
        ("Boolean", False, True),
        ("Object", {}, True),
        ("Object", [], False),
        ("Array", [1, "a"], True),
        ("String[]", ["a", "b"], True),
        ("String[]", ["a", 1], False),
        ("Array<Number>", [1, 2], True),
        ("Array.<Number>", ["1"], False),
        ("String|Number", 3, True),
        ("String|Number", None, False),
        ("(String|null)", None, True),
        ("*", {"any": 1}, True),
        ("Pump", {"any": 1}, True),
    ],
)
def test_jsdoc_parameter_types(jsdoc, value, fits):
    from triggers_app.rules import type_matches

    assert type_matches(jsdoc, value) is fits
