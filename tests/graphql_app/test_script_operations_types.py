"""SDL fragments parsed by graphql-core: every scalar, enums, inputs, nesting, lists."""

from scripts_app.models import Execution

PROFILE = """
function profile(context) {
  const a = context.args;
  return {
    id: "p-" + a.id,
    count: 3,
    ratio: 0.5,
    active: true,
    label: null,
    role: "ADMIN",
    tags: ["a", "b"],
    owner: { name: "Ada", friends: [{ name: "Bob", friends: [] }] },
    filter: a.filter,
  };
}

graphQLRegistry.registerQuery(
  "profile",
  `"A role."
  enum Role { ADMIN USER }
  input Filter { role: Role! tags: [String!] minCount: Int ratio: Float active: Boolean }
  type Person { name: String! friends: [Person!]! }
  type Echo { role: Role! tags: [String!] minCount: Int ratio: Float active: Boolean }
  type Profile {
    id: ID!
    count: Int!
    ratio: Float!
    active: Boolean!
    label: String
    role: Role!
    tags: [String!]!
    owner: Person!
    filter: Echo
  }
  type Query { profile(id: ID!, filter: Filter): Profile }`,
  "profile",
  "external",
);
"""

PROFILE_QUERY = """
query P($id: ID!, $filter: Filter) {
  profile(id: $id, filter: $filter) {
    id count ratio active label role tags
    owner { name friends { name friends { name } } }
    filter { role tags minCount ratio active }
  }
}
"""


def test_every_scalar_enum_input_nested_object_and_list_round_trips(graphql, upload):
    assert upload("profiles", PROFILE).status_code == 201
    variables = {
        "id": 7,
        "filter": {
            "role": "USER",
            "tags": ["x"],
            "minCount": 2,
            "ratio": 1.5,
            "active": False,
        },
    }

    response = graphql(PROFILE_QUERY, variables)

    assert response.json() == {
        "data": {
            "profile": {
                "id": "p-7",
                "count": 3,
                "ratio": 0.5,
                "active": True,
                "label": None,
                "role": "ADMIN",
                "tags": ["a", "b"],
                "owner": {"name": "Ada", "friends": [{"name": "Bob", "friends": []}]},
                "filter": {
                    "role": "USER",
                    "tags": ["x"],
                    "minCount": 2,
                    "ratio": 1.5,
                    "active": False,
                },
            }
        }
    }


def test_arguments_are_checked_against_the_sdl_before_the_resolver_runs(
    graphql, upload, records
):
    upload("profiles", PROFILE)

    wrong_enum = graphql(PROFILE_QUERY, {"id": 1, "filter": {"role": "BOSS"}})
    missing = graphql("{ profile { id } }")

    # Request errors: no data at all, and the resolver never ran.
    assert wrong_enum.status_code == 400
    assert "data" not in wrong_enum.json()
    assert (
        "Value 'BOSS' does not exist in 'Role' enum"
        in (wrong_enum.json()["errors"][0]["message"])
    )
    assert missing.status_code == 400
    assert (
        "argument 'id' of type 'ID!' is required"
        in (missing.json()["errors"][0]["message"])
    )
    records()
    assert not Execution.objects.filter(kind="resolver").exists()


def test_introspection_describes_enum_input_and_wrappers(graphql, upload):
    upload("profiles", PROFILE)

    data = graphql(
        """{
          role: __type(name: "Role") { kind description enumValues { name } }
          filter: __type(name: "Filter") { kind inputFields { name type { kind } } }
          profile: __type(name: "Profile") {
            fields { name type { kind ofType { kind ofType { kind ofType { name } } } } }
          }
        }"""
    ).json()["data"]

    assert data["role"] == {
        "kind": "ENUM",
        "description": "A role.",
        "enumValues": [{"name": "ADMIN"}, {"name": "USER"}],
    }
    assert data["filter"]["kind"] == "INPUT_OBJECT"
    assert {f["name"]: f["type"]["kind"] for f in data["filter"]["inputFields"]} == {
        "role": "NON_NULL",
        "tags": "LIST",
        "minCount": "SCALAR",
        "ratio": "SCALAR",
        "active": "SCALAR",
    }
    tags = next(f for f in data["profile"]["fields"] if f["name"] == "tags")
    assert tags["type"] == {
        "kind": "NON_NULL",
        "ofType": {
            "kind": "LIST",
            "ofType": {"kind": "NON_NULL", "ofType": {"name": "String"}},
        },
    }


def test_a_null_for_a_non_null_field_is_an_error_at_its_path(graphql, upload):
    source = PROFILE.replace('owner: { name: "Ada"', "owner: { name: null")
    upload("profiles", source)

    response = graphql('{ profile(id: "1") { id owner { name } } }')

    body = response.json()
    # owner is Person!, so the null goes up to the nullable profile.
    assert body["data"] == {"profile": None}
    (error,) = body["errors"]
    assert error["message"] == "Cannot return null for non-nullable field Person.name."
    assert error["path"] == ["profile", "owner", "name"]
    assert error["locations"] == [{"line": 1, "column": 33}]


SEARCH = """
function search(context) {
  return [
    { __typename: "Book", id: "b1", title: "Dune" },
    { __typename: "Film", id: "f1", minutes: 155 },
  ];
}
graphQLRegistry.registerQuery(
  "NAME",
  `interface Item { id: ID! }
  type Book implements Item { id: ID! title: String! }
  type Film implements Item { id: ID! minutes: Int! }
  RESULT`,
  "search",
  "external",
);
"""


def test_an_interface_resolves_its_implementations_by_typename(graphql, upload):
    source = SEARCH.replace("NAME", "search").replace(
        "RESULT", "type Query { search: [Item!]! }"
    )
    assert upload("search", source).status_code == 201

    response = graphql(
        "{ search { id ... on Book { title } ... on Film { minutes } } }"
    )

    assert response.json() == {
        "data": {
            "search": [{"id": "b1", "title": "Dune"}, {"id": "f1", "minutes": 155}]
        }
    }


def test_a_union_resolves_its_members_by_typename(graphql, upload):
    source = SEARCH.replace("NAME", "hits").replace(
        "RESULT", "union Hit = Book | Film\n  type Query { hits: [Hit!]! }"
    )
    assert upload("hits", source).status_code == 201

    response = graphql("{ hits { __typename ... on Film { minutes } } }")

    assert response.json() == {
        "data": {
            "hits": [{"__typename": "Book"}, {"__typename": "Film", "minutes": 155}]
        }
    }
