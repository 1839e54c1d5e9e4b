"""Fixtures for /graphql: run a query as one of the cast through the test client."""

import pytest

SCRIPTS = "{ scripts { uri chars } }"
SCRIPT = """
query Get($uri: String!) {
  script(uri: $uri) { uri content contentLength chars version logs }
}
"""
UPSERT = """
mutation Up($uri: String!, $content: String!) {
  upsertScript(uri: $uri, content: $content) {
    success message uri chars version created code line column warnings
  }
}
"""
DELETE = """
mutation Del($uri: String!) {
  deleteScript(uri: $uri) { success message uri code }
}
"""


@pytest.fixture
def graphql(api):
    """POST a query to /graphql: graphql(query, variables, user=..., host=...).

    Return the response; user=None sends no credentials.
    """

    def post(query, variables=None, user="alice", host="acme.test", path="/graphql"):
        return api(user, host).post(
            path, {"query": query, "variables": variables or {}}, format="json"
        )

    return post


@pytest.fixture
def root_script_prefix():
    # The tenant middleware sets a thread-wide /t/<slug>/ prefix that the test
    # client, unlike real servers, never resets; keep it from leaking on.
    from django.urls import set_script_prefix

    yield
    set_script_prefix("/")


# The seed's examples (aiwebengine "GraphQL APIs"), as one script would hold them.
SEED_USERS = """
function getUsers() {
  return JSON.stringify([
    { id: 1, name: "Alice", email: "alice@example.com" },
    { id: 2, name: "Bob", email: "bob@example.com" },
  ]);
}

function getUserById(args) {
  const userId = args.id;
  const users = [
    { id: 1, name: "Alice", email: "alice@example.com" },
    { id: 2, name: "Bob", email: "bob@example.com" },
  ];
  const user = users.find((u) => u.id === userId);
  return user ? JSON.stringify(user) : JSON.stringify(null);
}

function createUser(args) {
  const { name, email } = args;
  const newUser = {
    id: 42,
    name: name,
    email: email,
    createdAt: new Date(0).toISOString(),
  };
  console.log(`Created user: ${name} (${email})`);
  return JSON.stringify(newUser);
}

function onUserActivity() {
  return {
    type: "subscription_started",
    message: "User activity monitoring started",
    timestamp: new Date().toISOString(),
  };
}

graphQLRegistry.registerQuery(
  "users",
  `type User {
    id: Int!
    name: String!
    email: String!
  }
  type Query {
    users: [User!]!
  }`,
  "getUsers",
  "external",
);

graphQLRegistry.registerQuery(
  "user",
  `type User {
    id: Int!
    name: String!
    email: String!
  }
  type Query {
    user(id: Int!): User
  }`,
  "getUserById",
  "external",
);

graphQLRegistry.registerMutation(
  "createUser",
  `type User {
    id: Int!
    name: String!
    email: String!
    createdAt: String!
  }
  type Mutation {
    createUser(name: String!, email: String!): User!
  }`,
  "createUser",
  "external",
);

graphQLRegistry.registerSubscription(
  "userActivity",
  `type ActivityEvent {
    type: String!
    message: String!
    timestamp: String!
    userId: String
  }
  type Subscription {
    userActivity: ActivityEvent!
  }`,
  "onUserActivity",
  "external",
);
"""

# A route that runs ?q= (with ?v= as variables) through executeGraphQL and
# answers the JSON string it got, as is.
RUNNER = """
async function run(context) {
  const q = context.request.query;
  const result = await graphQLRegistry.executeGraphQL(q.q, q.v);
  if (typeof result !== "string") throw new Error("not a string: " + typeof result);
  return { status: 200, body: result, contentType: "application/json" };
}
routeRegistry.registerRoute("/PATH", "run", "GET");
"""


def runner(path: str, extra: str = "") -> str:
    """A script with RUNNER's route at `path`, plus `extra` source."""
    return RUNNER.replace("/PATH", path) + extra


@pytest.fixture
def run_query(api):
    """GET a RUNNER route: run_query("/path", query, variables=None, user=None)."""
    import json

    def get(path, query, variables=None, user=None, host="acme.test"):
        params = {"q": query}
        if variables is not None:
            params["v"] = json.dumps(variables)
        return api(user, host).get(path, params)

    return get
