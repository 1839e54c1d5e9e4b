"""One script's registrations share their types (issue 13): one set per script.

A type defined in one registration's SDL may be used by every registration
of the same script; defined twice it must agree (object types merge field by
field, as the seed's User and createUser's User do); types of other scripts
and of other tenants are never borrowed.
"""

import re

from graphql_app.models import GraphQLOperation
from tests.graphql_app.conftest import runner

# aiwebengine seed, "GraphQL APIs" > "graphQLRegistry.registerQuery(name, sdl, resolverFunction, visibility)", **Example:** (verbatim).
SEED_QUERY_USERS = """\
// Define a simple query
function getUsers() {
  return JSON.stringify([
    { id: 1, name: "Alice", email: "alice@example.com" },
    { id: 2, name: "Bob", email: "bob@example.com" },
  ]);
}

// Register the query
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
"""

# aiwebengine seed, "GraphQL APIs" > "graphQLRegistry.registerQuery(...)", **Example with Arguments:** (verbatim).
SEED_QUERY_USER_BY_ID = """\
function getUserById(args) {
  const userId = args.id;
  // Simulate database lookup
  const users = [
    { id: 1, name: "Alice", email: "alice@example.com" },
    { id: 2, name: "Bob", email: "bob@example.com" },
  ];

  const user = users.find((u) => u.id === userId);
  return user ? JSON.stringify(user) : JSON.stringify(null);
}

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
"""

# aiwebengine seed, "GraphQL APIs" > "graphQLRegistry.registerMutation(name, sdl, resolverFunction, visibility)", **Example:** (verbatim).
SEED_MUTATION_CREATE_USER = """\
function createUser(args) {
  const { name, email } = args;

  // Simulate creating a user
  const newUser = {
    id: Date.now(), // Simple ID generation
    name: name,
    email: email,
    createdAt: new Date().toISOString(),
  };

  console.log(`Created user: ${name} (${email})`);

  return JSON.stringify(newUser);
}

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
"""

SEED_BLOCKS = SEED_QUERY_USERS + SEED_QUERY_USER_BY_ID + SEED_MUTATION_CREATE_USER

# Book is defined by the query only; the mutation uses it.
SHELF = """
function listBooks() {
  return JSON.stringify([{ id: 1, title: "Dune", author: "Herbert" }]);
}
function addBook(args) {
  return { id: 2, title: args.title, author: args.author || null };
}
graphQLRegistry.registerQuery(
  "books",
  `type Book { id: Int! title: String! author: String }
   type Query { books: [Book!]! }`,
  "listBooks",
  "external",
);
graphQLRegistry.registerMutation(
  "addBook",
  `type Mutation { addBook(title: String!, author: String): Book! }`,
  "addBook",
  "external",
);
"""
ADD_EMMA = 'mutation { addBook(title: "Emma", author: "Austen") { id title author } }'
EMMA = {"addBook": {"id": 2, "title": "Emma", "author": "Austen"}}


def shelf(query_sdl, mutation_sdl, visibility="external"):
    """SHELF with other SDL for books (query) and addBook (mutation)."""
    source = SHELF.replace(
        """`type Book { id: Int! title: String! author: String }
   type Query { books: [Book!]! }`""",
        f"`{query_sdl}`",
    )
    source = source.replace(
        "`type Mutation { addBook(title: String!, author: String): Book! }`",
        f"`{mutation_sdl}`",
    )
    return source.replace(
        '"listBooks",\n  "external"', f'"listBooks",\n  "{visibility}"'
    )


def field_names(graphql, type_name, **where):
    query = f'{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}'
    found = graphql(query, **where).json()["data"]["__type"]
    return None if found is None else [f["name"] for f in found["fields"]]


def test_the_seeds_examples_verbatim_merge_user_and_answer(graphql, upload, api):
    # users and user(id) define User { id name email }; createUser's User adds
    # createdAt: one User with four fields.
    assert upload("seed", runner("/seed-run", SEED_BLOCKS)).status_code == 201

    users = graphql("query GetUsers { users { id name email } }").json()
    bob = graphql("query U($id: Int!) { user(id: $id) { name email } }", {"id": 2})
    created = graphql(
        'mutation { createUser(name: "Ada", email: "ada@example.com") '
        "{ name email createdAt } }"
    ).json()
    through_execute = api("alice", "acme.test").get(
        "/seed-run",
        {"q": 'mutation { createUser(name: "Bo", email: "bo@example.com") { name } }'},
    )

    assert users == {
        "data": {
            "users": [
                {"id": 1, "name": "Alice", "email": "alice@example.com"},
                {"id": 2, "name": "Bob", "email": "bob@example.com"},
            ]
        }
    }
    assert bob.json() == {"data": {"user": {"name": "Bob", "email": "bob@example.com"}}}
    assert created["data"]["createUser"]["name"] == "Ada"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
        created["data"]["createUser"]["createdAt"],
    )
    assert through_execute.json() == {"data": {"createUser": {"name": "Bo"}}}
    assert field_names(graphql, "User") == ["id", "name", "email", "createdAt"]


def test_a_type_of_the_query_may_be_used_by_the_mutation(graphql, upload, run_query):
    response = upload("shelf", runner("/shelf-run", SHELF))

    assert response.status_code == 201, response.content
    assert graphql("{ books { id title } }").json() == {
        "data": {"books": [{"id": 1, "title": "Dune"}]}
    }
    assert graphql(ADD_EMMA).json() == {"data": EMMA}
    assert run_query("/shelf-run", ADD_EMMA, user="alice").json() == {"data": EMMA}
    assert set(GraphQLOperation.objects.values_list("name", flat=True)) == {
        "books",
        "addBook",
    }


def test_a_type_defined_twice_identically_is_one_type(graphql, upload):
    book = "type Book { id: Int! title: String! author: String }"
    source = shelf(
        f"{book} type Query {{ books: [Book!]! }}",
        f"{book} type Mutation {{ addBook(title: String!, author: String): Book! }}",
    )

    assert upload("shelf", source).status_code == 201
    assert graphql(ADD_EMMA).json() == {"data": EMMA}


def test_a_type_defined_twice_differently_drops_the_later_naming_both(upload):
    source = shelf(
        "type Book { id: Int! title: String! } type Query { books: [Book!]! }",
        "type Book { id: ID! } "
        "type Mutation { addBook(title: String!, author: String): Book! }",
    )

    response = upload("shelf", source)

    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "GraphQL mutation 'addBook': field Book.id is 'id: Int!' in script "
        "'shelf' (query books) but 'id: ID!' in script 'shelf' (mutation addBook)"
    ]
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["books"]


def test_an_enum_defined_twice_differently_drops_the_later_naming_both(upload):
    source = shelf(
        "enum Genre { NOVEL } type Book { id: Int! genre: Genre } "
        "type Query { books: [Book!]! }",
        "enum Genre { NOVEL POEM } "
        "type Mutation { addBook(title: String!, author: String): Book! }",
    )

    warnings = upload("shelf", source).json()["warnings"]

    assert warnings == [
        "GraphQL mutation 'addBook': type Genre is defined differently in script "
        "'shelf' (query books) (enum Genre { NOVEL }) and in script 'shelf' "
        "(mutation addBook) (enum Genre { NOVEL POEM })"
    ]


def test_a_type_no_registration_defines_is_still_dropped(upload):
    source = shelf(
        "type Book { id: Int! } type Query { books: [Book!]! }",
        "type Mutation { addBook(title: String!, author: String): Magazine! }",
    )

    response = upload("shelf", source)

    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "GraphQL mutation 'addBook': Unknown type 'Magazine'. Define it "
        "in the registration's SDL or in another registration of the same script."
    ]
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["books"]


def test_another_scripts_types_are_not_borrowed(upload):
    assert upload("shelf", SHELF).status_code == 201
    borrower = (
        "function r() { return null; }\n"
        'graphQLRegistry.registerQuery("firstBook", '
        '"type Query { firstBook: Book }", "r", "external");\n'
    )

    response = upload("borrower", borrower)

    assert response.status_code == 201, response.content
    (warning,) = response.json()["warnings"]
    assert warning.startswith("GraphQL query 'firstBook': Unknown type 'Book'.")
    assert not GraphQLOperation.objects.filter(script__name="borrower").exists()


def test_a_type_of_an_internal_query_serves_an_external_mutation_alone(graphql, upload):
    source = shelf(
        "type Book { id: Int! title: String! author: String } "
        "type Stock { count: Int } type Query { books(s: Int): Stock }",
        "type Mutation { addBook(title: String!, author: String): Book! }",
        visibility="internal",
    )
    source = source.replace("listBooks() {", "listBooks() { return { count: 1 };")

    assert upload("shelf", source).status_code == 201, "upload"
    assert graphql(ADD_EMMA).json() == {"data": EMMA}
    assert field_names(graphql, "Book") == ["id", "title", "author"]
    # Only the types the visible operations use reach /graphql.
    assert field_names(graphql, "Stock") is None


def test_two_tenants_each_keep_their_own_book(graphql, upload):
    acme = upload("shelf", SHELF)
    globex = upload(
        "shelf",
        shelf(
            "type Book { isbn: String pages: Int } type Query { books: [Book!]! }",
            "type Mutation { addBook(title: String!, author: String): Book }",
        ),
        user="erin",
        host="globex.test",
    )

    assert acme.status_code == globex.status_code == 201
    assert field_names(graphql, "Book") == ["id", "title", "author"]
    assert field_names(graphql, "Book", user="erin", host="globex.test") == [
        "isbn",
        "pages",
    ]
    assert graphql(ADD_EMMA).json() == {"data": EMMA}
    mixed = graphql("{ books { isbn } }", user="erin", host="globex.test").json()
    assert mixed == {"data": {"books": [{"isbn": None}]}}
    assert graphql("{ books { isbn } }").status_code == 400


def test_a_borrowed_interface_brings_the_scripts_implementations(graphql, upload):
    # The query (internal) defines Media and Book; the external mutation only
    # names Media, yet answers a Book on /graphql.
    source = shelf(
        "interface Media { title: String! } "
        "type Book implements Media { title: String! author: String } "
        "type Query { books: [Media!]! }",
        "type Mutation { addBook(title: String!, author: String): Media! }",
        visibility="internal",
    ).replace("return { id: 2,", 'return { __typename: "Book", id: 2,')

    assert upload("shelf", source).status_code == 201
    added = graphql(
        'mutation { addBook(title: "Emma", author: "Austen") '
        "{ __typename title ... on Book { author } } }"
    )

    assert added.json() == {
        "data": {"addBook": {"__typename": "Book", "title": "Emma", "author": "Austen"}}
    }
