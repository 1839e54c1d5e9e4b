"""Script GraphQL operations over real HTTP with a GraphQL client (gql).

The seed's examples (users, user(id), createUser, userActivity) are uploaded
into a tenant of their own, then called through /t/<slug>/graphql, whose
schema gql introspects and checks every query against, and through a
script's executeGraphQL.
"""

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from tests.e2e.servers import poll
from tests.graphql_app.conftest import SEED_USERS

pytestmark = pytest.mark.server

SLUG = "gqlops"
MAKE_TENANT = (
    "from tenants.models import Tenant; "
    f"Tenant.objects.get_or_create(slug='{SLUG}', defaults={{'name': 'GraphQL ops'}})"
)
CALLER = """
async function lookup(context) {
  const query = `query U($id: Int!) { user(id: $id) { name email } }`;
  const variables = JSON.stringify({ id: parseInt(context.request.query.id) });
  const resultJson = await graphQLRegistry.executeGraphQL(query, variables);
  const result = JSON.parse(resultJson);
  return { status: 200, body: JSON.stringify(result.data), contentType: "application/json" };
}
function broken(context) {
  throw new Error("no users today");
}
graphQLRegistry.registerQuery(
  "brokenUsers", "type Query { brokenUsers: [String!] }", "broken", "external");
async function listScripts(context) {
  const result = JSON.parse(await graphQLRegistry.executeGraphQL("{ scripts { uri } }"));
  return { status: result.errors ? 500 : 200, body: result };
}
routeRegistry.registerRoute("/lookup", "lookup", "GET");
routeRegistry.registerRoute("/list-scripts", "listScripts", "GET");
"""


@pytest.fixture(scope="module")
def tenant(server, installation):
    """Create the tenant; wait until the server knows it and holds the scripts."""
    installation.manage("shell", "-c", MAKE_TENANT)

    def put(name, source):
        with server.client() as client:
            return client.put(
                f"/t/{SLUG}/system/scripts/{name}",
                content=source.encode(),
                headers={**server.auth, "Content-Type": "application/javascript"},
            )

    created, _ = poll(lambda: put("users", SEED_USERS), lambda r: r.is_success, 10)
    assert created.is_success, created.text
    assert put("caller", CALLER).is_success
    return f"/t/{SLUG}"


def _client(server, prefix, **headers):
    transport = HTTPXTransport(
        url=f"{server.url}{prefix}/graphql", headers=headers, timeout=30
    )
    return Client(transport=transport, fetch_schema_from_transport=True)


def _run(session, query, **variables):
    return session.execute(GraphQLRequest(query, variable_values=variables))


def test_the_seeds_queries_and_mutation_answer_over_http(server, tenant):
    with _client(server, tenant, **server.auth) as session:
        users = _run(session, "query GetUsers { users { id name email } }")
        user = _run(session, "query U($id: Int!) { user(id: $id) { name } }", id=2)
        created = _run(
            session,
            "mutation C($n: String!, $e: String!) "
            "{ createUser(name: $n, email: $e) { id name email createdAt } }",
            n="Ada",
            e="ada@example.com",
        )

    assert users == {
        "users": [
            {"id": 1, "name": "Alice", "email": "alice@example.com"},
            {"id": 2, "name": "Bob", "email": "bob@example.com"},
        ]
    }
    assert user == {"user": {"name": "Bob"}}
    assert created["createUser"]["name"] == "Ada"
    assert created["createUser"]["createdAt"] == "1970-01-01T00:00:00.000Z"


def test_the_introspected_schema_merges_platform_and_scripts(server, tenant):
    with _client(server, tenant, **server.auth) as session:
        _run(session, "{ scripts { uri } }")
        schema = session.client.schema

    assert {"scripts", "script", "users", "user", "brokenUsers"} <= set(
        schema.query_type.fields
    )
    assert {"upsertScript", "deleteScript", "createUser"} <= set(
        schema.mutation_type.fields
    )
    assert list(schema.subscription_type.fields) == ["userActivity"]
    assert list(schema.type_map["User"].fields) == ["id", "name", "email", "createdAt"]


def test_a_throwing_resolver_is_a_field_error_not_a_500(server, tenant):
    with (
        _client(server, tenant, **server.auth) as session,
        pytest.raises(TransportQueryError) as failed,
    ):
        _run(session, "{ users { id } brokenUsers }")

    (error,) = failed.value.errors
    assert failed.value.data == {"users": [{"id": 1}, {"id": 2}], "brokenUsers": None}
    assert error["message"].startswith("Error: no users today (caller.js:")
    assert error["path"] == ["brokenUsers"]
    # gql sends the query as it prints it, so only the shape is known here.
    assert [set(where) for where in error["locations"]] == [{"line", "column"}]


def test_anonymous_callers_are_told_to_authenticate(server, tenant):
    with (
        _client(server, tenant) as session,
        pytest.raises(TransportQueryError) as refused,
    ):
        _run(session, "{ users { id } }")

    (error,) = refused.value.errors
    assert error["extensions"]["code"] == "not_authenticated"
    assert error["path"] == ["users"]


def test_execute_graphql_from_a_route_answers_over_http(server, tenant):
    with server.client() as client:
        reply = client.get(f"{tenant}/lookup", params={"id": "1"})

    assert reply.status_code == 200
    assert reply.json() == {"user": {"name": "Alice", "email": "alice@example.com"}}


def test_platform_fields_through_execute_graphql_answer_for_the_caller(server, tenant):
    # The seed's listScriptsHandler: the platform's fields, with the route
    # caller's permissions (the admin's here, nobody's without a token).
    with server.client() as client:
        signed_in = client.get(f"{tenant}/list-scripts", headers=server.auth)
        anonymous = client.get(f"{tenant}/list-scripts")

    assert signed_in.status_code == 200
    assert signed_in.json() == {
        "data": {"scripts": [{"uri": "caller"}, {"uri": "users"}]}
    }
    assert anonymous.status_code == 500
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "not_authenticated"


def test_the_default_tenant_does_not_see_these_operations(server, tenant):
    with server.client() as client:
        reply = client.post(
            "/graphql", json={"query": "{ brokenUsers }"}, headers=server.auth
        )

    assert reply.status_code == 400
    assert reply.json()["errors"][0]["message"].startswith(
        "Cannot query field 'brokenUsers'"
    )
