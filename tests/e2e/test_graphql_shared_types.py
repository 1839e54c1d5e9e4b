"""One script's registrations share their types, over real HTTP (issue 13).

A script defines `type Book` in its query's SDL only and uses it in its
mutation; the seed's User examples (copied verbatim) merge User; both are
called through /t/<slug>/graphql with a GraphQL client (gql, which checks
every query against the introspected schema) and through executeGraphQL,
and a second tenant's own Book stays its own.
"""

import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from tests.e2e.servers import poll
from tests.graphql_app.conftest import runner
from tests.graphql_app.test_script_operations_shared_types import (
    ADD_EMMA,
    EMMA,
    SEED_BLOCKS,
    SHELF,
    shelf,
)

pytestmark = pytest.mark.server

SLUGS = ("gqlshelf", "gqlother")
MAKE_TENANTS = "from tenants.models import Tenant\n" + "".join(
    f"Tenant.objects.get_or_create(slug='{slug}', defaults={{'name': '{slug}'}})\n"
    for slug in SLUGS
)
OTHER_SHELF = shelf(
    "type Book { isbn: String pages: Int } type Query { books: [Book!]! }",
    "type Mutation { addBook(title: String!, author: String): Book }",
)


def _put(server, slug, name, source):
    with server.client() as client:
        return client.put(
            f"/t/{slug}/system/scripts/{name}",
            content=source.encode(),
            headers={**server.auth, "Content-Type": "application/javascript"},
        )


@pytest.fixture(scope="module")
def tenants(server, installation):
    """Both tenants, known to the server, with their scripts."""
    installation.manage("shell", "-c", MAKE_TENANTS)
    first, other = SLUGS
    created, _ = poll(
        lambda: _put(server, first, "shelf", runner("/shelf-run", SHELF)),
        lambda r: r.is_success,
        10,
    )
    assert created.is_success, created.text
    seed = _put(server, first, "seed", runner("/seed-run", SEED_BLOCKS))
    assert seed.is_success, seed.text
    created, _ = poll(
        lambda: _put(server, other, "shelf", OTHER_SHELF), lambda r: r.is_success, 10
    )
    assert created.is_success, created.text
    return SLUGS


def _session(server, slug):
    transport = HTTPXTransport(
        url=f"{server.url}/t/{slug}/graphql", headers=server.auth, timeout=30
    )
    return Client(transport=transport, fetch_schema_from_transport=True)


def test_the_mutation_returns_the_book_its_query_defines(server, tenants):
    with _session(server, tenants[0]) as session:
        books = session.execute(GraphQLRequest("{ books { id title author } }"))
        added = session.execute(GraphQLRequest(ADD_EMMA))
        book_fields = list(session.client.schema.type_map["Book"].fields)

    assert books == {"books": [{"id": 1, "title": "Dune", "author": "Herbert"}]}
    assert added == EMMA
    assert book_fields == ["id", "title", "author"]


def test_execute_graphql_reaches_the_mutation_too(server, tenants):
    with server.client() as client:
        reply = client.get(
            f"/t/{tenants[0]}/shelf-run", params={"q": ADD_EMMA}, headers=server.auth
        )

    assert reply.status_code == 200
    assert reply.json() == {"data": EMMA}


def test_the_seeds_user_examples_answer_over_http(server, tenants):
    with _session(server, tenants[0]) as session:
        users = session.execute(GraphQLRequest("{ users { id name email } }"))
        created = session.execute(
            GraphQLRequest(
                'mutation { createUser(name: "Ada", email: "ada@example.com") '
                "{ name email } }"
            )
        )
        user_fields = list(session.client.schema.type_map["User"].fields)
    with server.client() as client:
        through_execute = client.get(
            f"/t/{tenants[0]}/seed-run",
            params={
                "q": "query U($id: Int!) { user(id: $id) { name } }",
                "v": '{"id": 1}',
            },
            headers=server.auth,
        )

    assert users["users"][1] == {"id": 2, "name": "Bob", "email": "bob@example.com"}
    assert created == {"createUser": {"name": "Ada", "email": "ada@example.com"}}
    assert user_fields == ["id", "name", "email", "createdAt"]
    assert through_execute.json() == {"data": {"user": {"name": "Alice"}}}


def test_a_type_defined_twice_differently_drops_the_later_naming_both(server, tenants):
    # Not a refusal (issue 13): the upload keeps `books`, drops `addBook`,
    # and says why; the tenant's schema then has no addBook.
    clash = shelf(
        "type Book { id: Int! title: String! } type Query { books: [Book!]! }",
        "type Book { id: ID! } "
        "type Mutation { addBook(title: String!, author: String): Book! }",
    )

    try:
        reply = _put(server, tenants[0], "shelf", runner("/shelf-run", clash))
        assert reply.status_code == 200, reply.text
        assert reply.json()["warnings"] == [
            "GraphQL mutation 'addBook': field Book.id is 'id: Int!' in script "
            "'shelf' (query books) but 'id: ID!' in script 'shelf' (mutation addBook)"
        ]
        with _session(server, tenants[0]) as session:
            mutation = session.client.schema.mutation_type
            books = session.execute(GraphQLRequest("{ books { id } }"))
        assert mutation is None or "addBook" not in mutation.fields
        assert "books" in books
    finally:
        restored = _put(server, tenants[0], "shelf", runner("/shelf-run", SHELF))
        assert restored.status_code == 200, restored.text


def test_the_other_tenants_book_stays_its_own(server, tenants):
    with _session(server, tenants[1]) as session:
        books = session.execute(GraphQLRequest("{ books { isbn pages } }"))
        book_fields = list(session.client.schema.type_map["Book"].fields)

    assert books == {"books": [{"isbn": None, "pages": None}]}
    assert book_fields == ["isbn", "pages"]
