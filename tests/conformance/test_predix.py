"""The Predix seed's Scripts page: its REST API, header tags and strict mode.

The seed's one code block, the Example Script, is a fixture
(fixtures/predix/example_script.js) with the seed's callout markers, (1) to
(10), in its margin; they become spaces before it runs (fixtures.CHANGED).
Its body, which cancels requests through `$` and yields at the top level,
runs bound by a trigger in test_documents.py; what runs here is its opening,
the `'use strict'` line and the header comment, verbatim. The REST API's status
codes are the platform's: the seed names the methods, paths and content type
only.
"""

import re
import uuid

import pytest

from tests.conformance.seeds import fixture

conforms = pytest.mark.conforms

SCRIPT_ID = "validate-links-exist"


def example() -> str:
    """The Example Script without its callout markers (fixtures.CHANGED)."""
    return re.sub(
        r"(?m)^\(\d+\)",
        lambda marker: " " * len(marker.group()),
        fixture("predix", "example_script"),
    )


def opening() -> str:
    """The example up to the end of its header comment, as it is written."""
    text = example()
    end = text.index("*/\n") + len("*/\n")
    return text[:end]


# A body for the example's header (a trigger would run it).
BODY = "$.log('checked');\n"


@pytest.fixture
def owner(api, cast):
    return api("alice", "acme.test")


def put(client, script_id, source, content_type="application/javascript"):
    return client.put(
        f"/system/scripts/{script_id}", data=source.encode(), content_type=content_type
    )


@conforms("/system/scripts REST API")
def test_scripts_are_created_read_listed_and_deleted(owner):
    source = opening()

    created = put(owner, SCRIPT_ID, source)
    assert created.status_code == 201, created.content
    assert created.json()["message"] == "Script created"

    read = owner.get(f"/system/scripts/{SCRIPT_ID}")
    assert read.status_code == 200
    assert read["Content-Type"].startswith("application/javascript")
    assert read.content == source.encode()

    listing = owner.get("/system/scripts")
    assert listing.status_code == 200
    assert listing["Content-Type"] == "application/json"
    assert [s["id"] for s in listing.json()] == [SCRIPT_ID]
    assert listing.json()[0]["uri"] == f"/system/scripts/{SCRIPT_ID}"

    assert owner.delete(f"/system/scripts/{SCRIPT_ID}").status_code == 204
    assert owner.get(f"/system/scripts/{SCRIPT_ID}").status_code == 404
    assert owner.get("/system/scripts").json() == []


@conforms("/system/scripts REST API")
def test_a_put_again_replaces_the_script(owner):
    put(owner, SCRIPT_ID, opening())

    replaced = put(owner, SCRIPT_ID, opening() + BODY)

    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["message"] == "Script updated"
    assert (
        owner.get(f"/system/scripts/{SCRIPT_ID}").content == (opening() + BODY).encode()
    )


@conforms("/system/scripts REST API")
def test_a_script_is_sent_as_application_javascript(owner):
    refused = put(owner, SCRIPT_ID, opening(), content_type="application/json")

    assert refused.status_code == 415
    assert "application/javascript" in refused.json()["error"]["message"]
    assert owner.get(f"/system/scripts/{SCRIPT_ID}").status_code == 404


@conforms("script header tags (@name, @methods, @param, @execution)")
def test_the_example_headers_tags_are_read(owner):
    assert put(owner, SCRIPT_ID, opening()).status_code == 201

    listed = owner.get("/system/scripts").json()[0]
    assert listed["name"] == "ValidateLinksExist"
    assert listed["execution"] == "pre-processing"
    assert listed["methods"] == ["POST", "PUT"]
    header = owner.get(f"/system/api/scripts/{SCRIPT_ID}").json()["header"]
    assert header == {
        "description": "Cancels a request if one or more properties do not link "
        "to an entity.",
        "name": "ValidateLinksExist",
        "author": "John Doe",
        "execution": "pre-processing",
        "methods": ["POST", "PUT"],
        "params": [
            {
                "type": "Array<String>",
                "name": "properties",
                "description": "Properties that must link to an entity.",
            }
        ],
    }


@pytest.mark.parametrize(
    ("line", "wrong"),
    [
        ("@methods   POST, PUT", "@methods   POST, OPTIONS"),
        ("@execution pre-processing", "@execution preprocessing"),
    ],
    ids=["methods", "execution"],
)
@conforms("script header tags (@name, @methods, @param, @execution)")
def test_a_value_the_seed_does_not_allow_is_refused_at_its_line(owner, line, wrong):
    source = opening().replace(line, wrong)

    refused = put(owner, SCRIPT_ID, source)

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_header"
    number = next(n for n, text in enumerate(source.split("\n"), 1) if wrong in text)
    assert f"(line {number})" in error["message"]
    assert wrong.split()[-1] in error["message"]


def bind(owner, name, script, on, methods, **more):
    reply = owner.post(
        "/system/triggers",
        {
            "uri": f"/system/triggers/{name}",
            "onReferenceTo": on,
            "methods": methods,
            "script": script,
            **more,
        },
        format="json",
    )
    assert reply.status_code == 201, reply.content


CUSTOM = "/**\n * @execution custom\n * @methods GET\n */\n"


@conforms("strict mode (all Scripts)")
@pytest.mark.django_db(transaction=True)
def test_a_script_with_the_header_runs_strict_without_use_strict(owner):
    # The example's header comment alone, without its 'use strict' line: an
    # assignment to an undeclared variable throws, as in strict mode.
    header = opening()[opening().index("/**") :]
    assert put(owner, SCRIPT_ID, header + "checked = true;\n").status_code == 201
    bind(
        owner,
        "strict",
        SCRIPT_ID,
        "/assets",
        ["POST"],
        scriptParameters={"properties": []},
    )

    strict = owner.post("/store/assets", {"uri": "/assets/a"}, format="json")

    assert strict.status_code == 500
    assert "ReferenceError: checked is not defined" in strict.json()["error"]["message"]


ES6 = """\
function* counter() { yield 1; yield 2; }
let doubled = [1, 2].map((n) => n * 2);
$.setResponse({
  status: 200,
  body: {
    generator: [...counter()],
    arrow: doubled,
    literals: [0b101, 0o17],
    contains: ["Blue Whale".contains("Whale"), "Blue Whale".contains("whale")],
    startsWith: "Blue Whale".startsWith("Blue"),
    endsWith: "Blue Whale".endsWith("Whale"),
    codePointAt: "\\u{1F433}".codePointAt(0),
    repeat: "ab".repeat(3),
    normalize: "A\\u030A".normalize("NFC") === "\\u00C5",
    fromCodePoint: String.fromCodePoint(0x1f433) === "\\u{1F433}",
  },
});
"""


@conforms("ES6 support (generators, arrow functions, literals, let, String methods)")
@pytest.mark.django_db(transaction=True)
def test_the_es6_features_the_seed_lists_work_in_a_strict_script(owner):
    assert put(owner, "features", CUSTOM + ES6).status_code == 201
    bind(owner, "features", "features", "/custom/features", ["GET"])

    response = owner.get("/custom/features")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "generator": [1, 2],
        "arrow": [2, 4],
        "literals": [5, 15],
        "contains": [True, False],
        "startsWith": True,
        "endsWith": True,
        "codePointAt": 0x1F433,
        "repeat": "ababab",
        "normalize": True,
        "fromCodePoint": True,
    }


UUIDS = "$.setResponse({status: 200, body: {v1: $.uuid.v1(), v4: $.uuid.v4()}});\n"


@conforms("$.uuid.v1() / $.uuid.v4()")
@pytest.mark.django_db(transaction=True)
def test_the_sdk_makes_version_1_and_4_uuids(owner):
    assert put(owner, "ids", CUSTOM + UUIDS).status_code == 201
    bind(owner, "ids", "ids", "/custom/ids", ["GET"])

    got = owner.get("/custom/ids").json()

    assert uuid.UUID(got["v1"]).version == 1
    assert uuid.UUID(got["v4"]).version == 4
