"""The document store in the platform GraphQL schema: reads, writes through the
pipeline (triggers included), roles and tenants."""

import json

import pytest

from documents_app.models import Entity

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def graphql(api):
    def post(query, variables=None, user="alice", host="acme.test"):
        return api(user, host).post(
            "/graphql", {"query": query, "variables": variables or {}}, format="json"
        )

    return post


WRITE = """
mutation($uri: String!, $body: JSONString!) {
  putEntity(uri: $uri, body: $body) { success status message code body }
}
"""
POST = """
mutation($c: String!, $e: JSONString!) {
  postEntities(collection: $c, entities: $e) { success status message code body }
}
"""
PATCH = """
mutation($uri: String!, $p: JSONString!) {
  patchEntity(uri: $uri, patch: $p) { success status message body }
}
"""
READ = """
query($c: String!, $f: String) {
  entities(collection: $c, filter: $f) { uri collection body version }
  entity(uri: "/assets/p1") { uri body }
}
"""


def test_write_then_read(graphql):
    put = graphql(
        WRITE, {"uri": "/assets/p1", "body": json.dumps({"type": "pump"})}, user="bob"
    )
    graphql(
        POST, {"c": "assets", "e": json.dumps([{"uri": "/assets/v1", "type": "valve"}])}
    )
    graphql(
        PATCH,
        {
            "uri": "/assets/p1",
            "p": json.dumps([{"op": "add", "path": "/rpm", "value": 9}]),
        },
    )
    read = graphql(READ, {"c": "/assets", "f": "type=pump"}, user="charlie").json()[
        "data"
    ]

    assert put.json()["data"]["putEntity"]["status"] == 201
    assert [e["uri"] for e in read["entities"]] == ["/assets/p1"]
    assert json.loads(read["entities"][0]["body"]) == {
        "uri": "/assets/p1",
        "type": "pump",
        "rpm": 9,
    }
    assert read["entities"][0]["version"] == 2
    assert json.loads(read["entity"]["body"])["rpm"] == 9


def test_refusals_come_back_with_the_rest_status_and_change_nothing(graphql):
    outside = graphql(WRITE, {"uri": "/assets/p1", "body": json.dumps({"uri": "/x/1"})})
    bad_patch = graphql(
        PATCH,
        {"uri": "/assets/none", "p": json.dumps([{"op": "remove", "path": "/a"}])},
    )

    out = outside.json()["data"]["putEntity"]
    assert (out["success"], out["status"]) == (False, 400)
    assert "outside the collection '/assets'" in out["message"]
    assert bad_patch.json()["data"]["patchEntity"]["status"] == 404
    assert not Entity.objects.exists()


def test_triggers_run_for_graphql_writes(graphql, upload, api):
    upload(
        "block",
        "/**\n * @execution pre-processing\n * @methods PUT\n */\n$.cancelRequest('no');",
    )
    api("bob").post(
        "/system/triggers",
        {
            "uri": "/system/triggers/block",
            "onReferenceTo": "/assets",
            "methods": ["PUT"],
            "script": "block",
        },
        format="json",
    )

    reply = graphql(WRITE, {"uri": "/assets/p1", "body": "{}"}).json()["data"][
        "putEntity"
    ]

    assert (reply["success"], reply["status"], reply["code"], reply["message"]) == (
        False,
        422,
        "request_cancelled",
        "no",
    )


def test_roles_and_tenants(graphql):
    graphql(WRITE, {"uri": "/assets/p1", "body": "{}"})

    viewer = graphql(WRITE, {"uri": "/assets/p2", "body": "{}"}, user="charlie").json()
    other = graphql(READ, {"c": "assets"}, user="erin", host="globex.test").json()

    assert viewer["errors"][0]["extensions"]["code"] == "permission_denied"
    assert other["data"] == {"entities": [], "entity": None}
    assert Entity.objects.count() == 1
