"""The `$` SDK's pure helpers (deepDiff, getPropertyValue, patchObject, uuid),
run in a custom endpoint's body."""

import json

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "/**\n * @execution custom\n * @methods POST\n */\n"


@pytest.fixture
def run(api, upload):
    """Run `expression` in a custom endpoint's body; return its JSON value."""
    count = iter(range(1000))

    def go(expression):
        name = f"sdk{next(count)}"
        body = (
            HEADER
            + f"$.setResponse({{status: 200, body: {{value: ({expression})}}}});\n"
        )
        assert upload(name, body).status_code == 201
        reply = api("bob").post(
            "/system/triggers",
            {
                "uri": f"/system/triggers/{name}",
                "onReferenceTo": f"/custom/{name}",
                "methods": ["POST"],
                "script": name,
            },
            format="json",
        )
        assert reply.status_code == 201, reply.content
        answer = api("bob").post(f"/custom/{name}", {}, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json().get("value")

    return go


def test_deep_diff_reports_like_the_deep_diff_library(run):
    diff = run(
        "$.deepDiff({a: 1, b: {c: 2}, d: [1, 2], gone: true}, "
        "{a: 2, b: {c: 2, e: 3}, d: [1, 2, 3], x: null})"
    )

    assert diff == [
        {"kind": "E", "path": ["a"], "lhs": 1, "rhs": 2},
        {"kind": "N", "path": ["b", "e"], "rhs": 3},
        {"kind": "A", "path": ["d"], "index": 2, "item": {"kind": "N", "rhs": 3}},
        {"kind": "D", "path": ["gone"], "lhs": True},
        {"kind": "N", "path": ["x"], "rhs": None},
    ]
    assert run("$.deepDiff({a: [1]}, {a: [1]}) === undefined") is True


def test_get_property_value(run):
    assert run("$.getPropertyValue({a: {b: [{c: 5}]}}, '.a.b[0].c')") == 5
    assert run("$.getPropertyValue({a: 1}, '.x.y') === undefined") is True


def test_patch_object_applies_a_json_patch_in_place(run):
    result = run(
        "(function () { const o = {a: 1, list: [1, 2]}; "
        "const r = $.patchObject(o, [{op: 'replace', path: '/a', value: 2}, "
        "{op: 'add', path: '/list/-', value: 3}, {op: 'move', from: '/a', path: '/b'}, "
        "{op: 'copy', from: '/b', path: '/c'}, {op: 'test', path: '/c', value: 2}]); "
        "return [r === o, o]; })()"
    )
    failed = run(
        "(function () { try { $.patchObject({a: 1}, [{op: 'test', path: '/a', value: 2}]); }"
        " catch (e) { return e.message; } })()"
    )

    assert result == [True, {"list": [1, 2, 3], "b": 2, "c": 2}]
    assert failed == "Operation 0: test failed at '/a'"


def test_uuids(run):
    v1, v4 = run("[$.uuid.v1(), $.uuid.v4()]")

    assert v1[14] == "1" and v4[14] == "4" and len(v1) == len(v4) == 36
    assert json.dumps(v1) != json.dumps(v4)
