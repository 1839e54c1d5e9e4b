"""graphQLRegistry.register*: checked at upload, in V8 and by graphql-core."""

import pytest

from graphql_app.models import GraphQLOperation

RESOLVER = "function r(context) { return 1; }\n"


def register(call="registerQuery", name="n", sdl="type Query { n: Int }", *rest):
    args = ", ".join(repr(a) for a in (name, sdl, "r", *rest))
    return RESOLVER + f"graphQLRegistry.{call}({args});\n"


# A registration that is fine, uploaded beside each bad one: it is stored.
GOOD = (
    "function g(context) { return 2; }\n"
    "graphQLRegistry.registerQuery('good', 'type Query { good: Int }', 'g');\n"
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            register("registerQuery", "n", "type Query {\n  n: Int\n"),
            "GraphQL query 'n': the SDL does not parse: Syntax Error: "
            "Expected Name, found <EOF>. (line 3, column 1 of the SDL)",
        ),
        (
            register("registerQuery", "n", "type Query { m: Int }"),
            "GraphQL query 'n': the SDL defines m but not the field 'n' on Query",
        ),
        (
            register("registerQuery", "n", "type Query { n: Int m: Int }"),
            "type Query may define only the field 'n'; register m with a call of "
            "its own",
        ),
        (
            register("registerMutation", "n", "type Query { n: Int }"),
            "GraphQL mutation 'n': a mutation defines one field of Mutation, but "
            "the SDL defines type Query",
        ),
        (
            register("registerQuery", "n", "type Query { n: Missing }"),
            "GraphQL query 'n': Unknown type 'Missing'.",
        ),
        (
            register("registerQuery", "n", "input In { a: Int } type Query { n: In }"),
            "field Query.n has type In, an input type",
        ),
        (
            register("registerQuery", "n", "query { n }"),
            "register type definitions only",
        ),
        (
            register(
                "registerQuery",
                "n",
                "type T { a: Int } extend type T { b: Int } type Query { n: T }",
            ),
            "'extend' of type T is not supported",
        ),
    ],
    ids=[
        "syntax",
        "missing-field",
        "extra-field",
        "wrong-root",
        "unknown-type",
        "input-as-output",
        "operation",
        "extend",
    ],
)
def test_a_bad_registration_is_dropped_with_a_warning_saying_what_and_where(
    upload, source, expected
):
    # Not a refusal of the upload (issue 13): the registration is dropped,
    # the script's others are stored, and the answer says why.
    response = upload("reg", source + GOOD)

    assert response.status_code == 201, response.content
    (warning,) = response.json()["warnings"]
    assert warning.startswith("GraphQL ")
    assert expected in warning
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["good"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            register("registerQuery", "n", "type Query { n: Int }", "public"),
            "GraphQL query 'n': visibility must be one of internal, engine, "
            "external, got public",
        ),
        (
            register("registerQuery", "9lives"),
            "GraphQL query name must be a GraphQL name",
        ),
        (
            "graphQLRegistry.registerQuery('n', 'type Query { n: Int }', 'missing', "
            "'external');",
            "GraphQL query 'n' names resolver 'missing', which is not a function "
            "in this script",
        ),
    ],
    ids=["visibility", "name", "resolver"],
)
def test_a_failed_registration_call_registers_nothing_and_is_a_warning(
    upload, source, expected
):
    # The call itself refused (it returned its "Error: ..." string): the
    # upload goes through without it (issue 13).
    response = upload("reg", source)

    assert response.status_code == 201, response.content
    (warning,) = response.json()["warnings"]
    assert expected in warning
    assert not GraphQLOperation.objects.exists()


def test_extend_type_of_the_root_is_accepted(upload):
    source = register("registerQuery", "n", "extend type Query { n: Int }", "engine")

    assert upload("reg", source).status_code == 201


def test_visibility_defaults_to_internal_and_the_last_registration_wins(upload):
    source = (
        register("registerQuery", "n", "type Query { n: Int }")
        + "graphQLRegistry.registerQuery('n', 'type Query { n: String }', 'r', "
        "'engine');\n"
    )

    assert upload("reg", source).status_code == 201
    (op,) = GraphQLOperation.objects.all()
    assert (op.visibility, op.sdl) == ("engine", "type Query { n: String }")

    upload("reg", register("registerQuery", "n", "type Query { n: Int }"))
    assert GraphQLOperation.objects.get().visibility == "internal"


def test_registering_answers_with_a_message_and_only_at_load(upload, api):
    source = RESOLVER + (
        "var said = graphQLRegistry.registerQuery('n', 'type Query { n: Int }', "
        "'r', 'external');\n"
        "function late(context) {\n"
        "  return { status: 200, body: { said: said, late: graphQLRegistry.registerMutation("
        "'m', 'type Mutation { m: Int }', 'r', 'external') } };\n"
        "}\n"
        "routeRegistry.registerRoute('/late', 'late', 'GET');\n"
    )
    upload("reg", source)

    body = api().get("/late", HTTP_HOST="acme.test").json()

    assert body == {
        "said": "GraphQL query registered: n -> r",
        "late": "Error: GraphQL mutations can only be registered at top level or "
        "in init()",
    }
    assert list(GraphQLOperation.objects.values_list("name", flat=True)) == ["n"]


def test_registrations_in_init_count_like_top_level_ones(upload):
    source = RESOLVER + (
        "function init(context) {\n"
        "  graphQLRegistry.registerMutation('m', 'type Mutation { m: Int }', 'r', "
        "'external');\n"
        "}\n"
    )

    assert upload("reg", source).status_code == 201
    assert GraphQLOperation.objects.get().kind == "mutation"
