"""registerGraphQLQuery/Mutation/Subscription: the reference implementation's first GraphQL API."""

import pytest

# As the reference implementation's scripts of October 2025 wrote them: the
# resolver reads its arguments off what it is given.
FIRST_API = """
registerGraphQLQuery("hello", "type Query { hello: String }", "helloResolver");
registerGraphQLMutation(
  "createUser", "type Mutation { createUser(name: String!): String }", "createUserResolver");
registerGraphQLSubscription(
  "userUpdates", "type Subscription { userUpdates: String }", "userUpdatesResolver");
registerGraphQLQuery("broken", "type Query { broken: String }", "missing");
function helloResolver() { return "Hello from JavaScript!"; }
function createUserResolver(args) { return "Created user: " + args.name; }
function userUpdatesResolver() { return "subscribed"; }
"""


@pytest.fixture
def first_api(upload):
    reply = upload("first-graphql", FIRST_API)
    assert reply.status_code == 201, reply.content
    return reply.json()


def test_the_operations_are_served_on_graphql_as_external_ones(first_api, graphql):
    hello = graphql("{ hello }")
    created = graphql('mutation { createUser(name: "Alice") }')

    assert hello.json() == {"data": {"hello": "Hello from JavaScript!"}}
    assert created.json() == {"data": {"createUser": "Created user: Alice"}}


def test_they_need_a_signed_in_caller_as_external_operations_do(first_api, graphql):
    anonymous = graphql("{ hello }", user=None)

    assert anonymous.json()["data"] == {"hello": None}
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "not_authenticated"


def test_the_subscription_is_in_the_schema(first_api, graphql):
    reply = graphql("{ __schema { subscriptionType { fields { name } } } }")

    fields = reply.json()["data"]["__schema"]["subscriptionType"]["fields"]
    assert {"name": "userUpdates"} in fields


def test_a_registration_naming_a_missing_resolver_is_a_warning(first_api):
    assert any("names resolver 'missing'" in w for w in first_api["warnings"])
