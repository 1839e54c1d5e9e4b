"""/graphql over real HTTP with a GraphQL client (gql): upload, call, read, delete."""

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from tests.e2e.servers import poll

pytestmark = pytest.mark.server

SOURCE = """function greet(context) {
  const name = context.request.query.name || "nobody";
  console.log("gql says hi to " + name);
  return "Hi, " + name + "!";
}
function init(context) {
  routeRegistry.registerRoute("/gql-greet", "greet", "GET");
}
"""
BROKEN = "function broken(context) {\n  return 1 +;\n}\n"

UPSERT = """
mutation Up($uri: String!, $content: String!) {
  upsertScript(uri: $uri, content: $content) {
    success message uri chars version code line column
  }
}
"""
SCRIPT = """
query Get($uri: String!) {
  script(uri: $uri) { uri content contentLength logs }
}
"""


def _client(server, **headers):
    transport = HTTPXTransport(url=f"{server.url}/graphql", headers=headers, timeout=30)
    # Introspects the schema over HTTP first and checks every query against it.
    return Client(transport=transport, fetch_schema_from_transport=True)


def _run(session, query, **variables):
    return session.execute(GraphQLRequest(query, variable_values=variables))


def test_a_script_uploaded_through_graphql_serves_and_logs(server):
    with _client(server, **server.auth) as session:
        saved = _run(session, UPSERT, uri="gql-greet", content=SOURCE)["upsertScript"]
        with server.client() as http:
            reply = http.get("/gql-greet", params={"name": "Ada"})
        script, _ = poll(
            lambda: _run(session, SCRIPT, uri="gql-greet")["script"],
            lambda s: "gql says hi to Ada" in s["logs"],
            within=10,
        )
        listed = _run(session, "{ scripts { uri chars } }")["scripts"]

    assert saved == {
        "success": True,
        "message": "Script created",
        "uri": "gql-greet",
        "chars": len(SOURCE),
        "version": 1,
        "code": None,
        "line": None,
        "column": None,
    }
    assert (reply.status_code, reply.text) == (200, "Hi, Ada!")
    assert script["content"] == SOURCE
    assert script["contentLength"] == len(SOURCE.encode())
    assert script["logs"][-1] == "gql says hi to Ada"
    assert {"uri": "gql-greet", "chars": len(SOURCE)} in listed


def test_a_compile_error_comes_back_as_success_false(server):
    with _client(server, **server.auth) as session:
        result = _run(session, UPSERT, uri="gql-broken", content=BROKEN)
        missing = _run(session, SCRIPT, uri="gql-broken")

    saved = result["upsertScript"]
    assert saved["success"] is False
    assert (saved["code"], saved["line"], saved["column"]) == ("compile_error", 2, 13)
    assert "line 2, column 13" in saved["message"]
    assert missing == {"script": None}


def test_delete_through_graphql_takes_the_route_down(server):
    source = SOURCE.replace("/gql-greet", "/gql-doomed")
    delete = "mutation D($uri: String!) { deleteScript(uri: $uri) { success message } }"
    with _client(server, **server.auth) as session:
        assert _run(session, UPSERT, uri="gql-doomed", content=source)["upsertScript"][
            "success"
        ]
        deleted = _run(session, delete, uri="gql-doomed")["deleteScript"]
        again = _run(session, delete, uri="gql-doomed")["deleteScript"]

    assert deleted == {"success": True, "message": "Script deleted"}
    assert again["success"] is False
    # Deletes publish like uploads: the route goes within the refresh interval.
    reply, _ = poll(
        lambda: httpx.get(f"{server.url}/gql-doomed", timeout=10),
        lambda r: r.status_code == 404,
        within=10,
    )
    assert reply.status_code == 404


def test_anonymous_clients_are_told_to_authenticate(server):
    with _client(server) as session, pytest.raises(TransportQueryError) as refused:
        _run(session, "{ scripts { uri } }")

    (error,) = refused.value.errors
    assert error["message"].startswith("Authentication required")
    assert error["extensions"]["code"] == "not_authenticated"


def test_a_bad_token_is_a_401(server):
    with server.client() as http:
        reply = http.post(
            "/graphql",
            json={"query": "{ scripts { uri } }"},
            headers={"Authorization": "Token not-a-real-token"},
        )

    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Token"
    assert reply.json()["errors"][0]["extensions"]["code"] == "not_authenticated"
