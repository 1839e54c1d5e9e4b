"""The seed's GraphQL examples (users, user(id), createUser, userActivity) end to end."""

from graphql_app.models import GraphQLOperation
from tests.graphql_app.conftest import SEED_USERS

INTROSPECT_ROOTS = """
{
  __schema {
    queryType { fields { name } }
    mutationType { fields { name } }
    subscriptionType { fields { name type { kind ofType { name } } } }
  }
  user: __type(name: "User") { fields { name type { kind ofType { name } } } }
}
"""


def test_upload_stores_each_registered_operation(upload):
    response = upload("users", SEED_USERS)

    assert response.status_code == 201, response.content
    stored = GraphQLOperation.objects.order_by("kind", "name").values_list(
        "kind", "name", "handler", "visibility"
    )
    assert list(stored) == [
        ("mutation", "createUser", "createUser", "external"),
        ("query", "user", "getUserById", "external"),
        ("query", "users", "getUsers", "external"),
        ("subscription", "userActivity", "onUserActivity", "external"),
    ]


def test_users_query_answers_the_resolvers_json_string(graphql, upload):
    upload("users", SEED_USERS)

    response = graphql("query GetUsers { users { id name email } }")

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "users": [
                {"id": 1, "name": "Alice", "email": "alice@example.com"},
                {"id": 2, "name": "Bob", "email": "bob@example.com"},
            ]
        }
    }


def test_user_by_id_gets_its_argument_and_may_answer_null(graphql, upload):
    upload("users", SEED_USERS)
    query = "query U($id: Int!) { user(id: $id) { name } }"

    bob = graphql(query, {"id": 2}).json()
    nobody = graphql(query, {"id": 7}).json()

    assert bob == {"data": {"user": {"name": "Bob"}}}
    assert nobody == {"data": {"user": None}}


def test_create_user_mutation_runs_and_logs(graphql, upload, records, api):
    upload("users", SEED_USERS)

    response = graphql(
        'mutation { createUser(name: "Ada", email: "ada@example.com") '
        "{ id name email createdAt } }"
    )
    records()
    logs = (
        api("alice").get("/system/api/logs?script=users", HTTP_HOST="acme.test").json()
    )

    assert response.json() == {
        "data": {
            "createUser": {
                "id": 42,
                "name": "Ada",
                "email": "ada@example.com",
                "createdAt": "1970-01-01T00:00:00.000Z",
            }
        }
    }
    assert "Created user: Ada (ada@example.com)" in [
        entry["message"] for entry in logs["results"]
    ]


def test_introspection_shows_the_merged_schema_with_the_platforms_fields(
    graphql, upload
):
    upload("users", SEED_USERS)

    schema = graphql(INTROSPECT_ROOTS).json()["data"]

    queries = {f["name"] for f in schema["__schema"]["queryType"]["fields"]}
    mutations = {f["name"] for f in schema["__schema"]["mutationType"]["fields"]}
    assert queries == {
        *("scripts", "script", "executions", "execution"),
        *("users", "user"),
    }
    assert mutations == {"upsertScript", "deleteScript", "runScript", "createUser"}
    # userActivity registers (its delivery comes later) and is in the schema.
    assert schema["__schema"]["subscriptionType"]["fields"] == [
        {
            "name": "userActivity",
            "type": {"kind": "NON_NULL", "ofType": {"name": "ActivityEvent"}},
        }
    ]
    # users/user define User without createdAt, createUser with it: one User.
    assert [f["name"] for f in schema["user"]["fields"]] == [
        "id",
        "name",
        "email",
        "createdAt",
    ]


def test_a_subscription_on_graphql_points_to_ws_and_sse(graphql, upload):
    upload("users", SEED_USERS)

    response = graphql("subscription { userActivity { type message } }")

    (error,) = response.json()["errors"]
    assert response.status_code == 400
    assert "/graphql/ws" in error["message"] and "/graphql/sse" in error["message"]
    assert error["extensions"]["code"] == "not_available"


def test_deleting_the_script_takes_its_operations_away(graphql, upload, api):
    upload("users", SEED_USERS)
    assert graphql("{ users { id } }").status_code == 200

    api("alice").delete("/system/scripts/users", HTTP_HOST="acme.test")
    response = graphql("{ users { id } }")

    assert response.status_code == 400
    assert "Cannot query field 'users'" in response.json()["errors"][0]["message"]
    assert not GraphQLOperation.objects.exists()
