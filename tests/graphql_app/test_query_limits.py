"""What one GraphQL request may cost (graphql_app.limits), as /graphql applies it."""

import pytest
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    get_introspection_query,
    parse,
)

from graphql_app import limits
from graphql_app.subscriptions import Subscription


@pytest.fixture
def limited(settings):
    """Set GRAPHQL_* limits for the test: limited(GRAPHQL_MAX_FIELDS=5)."""

    def change(**values):
        settings.SCRIPTS = {**settings.SCRIPTS, **values}

    return change


def codes(response) -> list:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def nested_of_type(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"ofType {{ {inner} }}"
    return "{ __schema { types { fields { type { " + inner + " } } } } }"


def test_fields_nested_deeper_than_the_limit_are_refused(graphql, cast):
    # __schema, types, fields, type: 4 levels, then `levels` ofType, then name.
    fits = graphql(nested_of_type(10))
    too_deep = graphql(nested_of_type(11))

    assert fits.status_code == 200, fits.content
    assert too_deep.status_code == 400
    assert codes(too_deep) == ["query_too_deep"]
    assert "data" not in too_deep.json()


@pytest.mark.parametrize("options", [{}, {"descriptions": True}, "all"])
def test_introspection_queries_fit_the_limits(graphql, cast, options):
    if options == "all":
        options = {
            "descriptions": True,
            "specified_by_url": True,
            "directive_is_repeatable": True,
            "schema_description": True,
            "input_value_deprecation": True,
        }

    response = graphql(get_introspection_query(**options))

    assert response.status_code == 200, response.content
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_fifty_aliases_run_and_fifty_one_are_refused(graphql, cast):
    def aliased(n):
        return "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " }"

    fifty = graphql(aliased(50))
    fifty_one = graphql(aliased(51))

    assert fifty.status_code == 200
    assert len(fifty.json()["data"]) == 50
    assert fifty_one.status_code == 400
    assert codes(fifty_one) == ["too_many_aliases"]


def test_an_alias_that_repeats_the_field_name_is_no_alias(graphql, cast):
    # `scripts: scripts` merges with `scripts`: nothing runs twice.
    query = "{ " + " ".join("__typename: __typename" for _ in range(60)) + " }"

    response = graphql(query)

    assert response.status_code == 200, response.content


def test_aliases_in_a_fragment_count_each_time_it_is_spread(graphql, cast):
    fragment = (
        "fragment F on Script { " + " ".join(f"c{i}: chars" for i in range(10)) + " }"
    )
    spreads = " ".join(f's{i}: script(uri: "x") {{ ...F }}' for i in range(5))

    response = graphql("{ " + spreads + " } " + fragment)

    # 5 aliases written, 50 more from the fragment spread five times.
    assert response.status_code == 400
    assert codes(response) == ["too_many_aliases"]


def test_fields_past_the_limit_are_refused(graphql, cast, limited):
    limited(GRAPHQL_MAX_FIELDS=5)

    five = graphql("{ scripts { uri chars version content } }")
    six = graphql("{ scripts { uri chars version content contentLength } }")

    assert five.status_code == 200, five.content
    assert six.status_code == 400
    assert codes(six) == ["too_many_fields"]


def test_a_query_longer_than_the_limit_is_refused_unparsed(graphql, cast, limited):
    limited(GRAPHQL_MAX_QUERY_CHARS=100)

    response = graphql("{ __typename " + "#" * 100 + "\n}")

    assert response.status_code == 400
    assert codes(response) == ["query_too_large"]
    assert (
        "SCRIPTHOST_GRAPHQL_MAX_QUERY_CHARS" in response.json()["errors"][0]["message"]
    )


def test_fragments_spread_in_a_cycle_are_a_validation_error(graphql, cast):
    query = (
        "{ scripts { ...A } } fragment A on Script { uri ...B } "
        "fragment B on Script { chars ...A }"
    )

    response = graphql(query)

    assert response.status_code == 400
    assert "Cannot spread fragment 'A' within itself" in str(response.json())


def test_a_long_chain_of_fragments_is_refused_not_a_crash(graphql, cast):
    chain = (
        " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(2500))
        + " fragment F2500 on Query { __typename }"
    )

    response = graphql("{ ...F0 } " + chain)

    assert response.status_code == 400
    assert codes(response) == ["query_too_deep"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "The body must be a JSON object"),
        ({"query": ["{ __typename }"]}, "query must be a string"),
        ({"query": "{ __typename }", "variables": [1]}, "variables must be a JSON"),
        ({"query": "{ __typename }", "variables": "[[["}, "variables are not usable"),
    ],
)
def test_a_body_that_is_no_graphql_request_is_a_400(api, cast, body, message):
    response = api("alice").post("/graphql", body, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["message"].startswith(message)
    assert error["extensions"] == {
        "code": "bad_request",
        "requestId": response["X-Request-Id"],
    }


def test_a_graphql_body_that_is_not_utf8_is_a_400(api, cast):
    response = api("alice").post(
        "/graphql", b"{ \xff }", content_type="application/graphql"
    )

    assert response.status_code == 400
    assert codes(response) == ["bad_request"]


# -- the result limit, while it runs ----------------------------------------------------


def _counting_schema(calls: list) -> GraphQLSchema:
    def resolve_item(source, info):
        calls.append(source)
        return "x" * 1000

    item = GraphQLObjectType(
        "Item", {"text": GraphQLField(GraphQLString, resolve=resolve_item)}
    )
    return GraphQLSchema(
        GraphQLObjectType(
            "Query",
            {"items": GraphQLField(GraphQLList(item), resolve=lambda *_: range(100))},
        )
    )


def test_execution_stops_resolving_once_the_result_passes_the_limit(limited):
    from graphql import execute

    limited(GRAPHQL_MAX_RESULT_BYTES=10_000)
    calls = []

    result = execute(
        _counting_schema(calls),
        parse("{ items { text } }"),
        execution_context_class=limits.BoundedExecutionContext,
    )

    assert result.data is None
    assert [e.extensions["code"] for e in result.errors] == ["result_too_large"]
    # 1,000 characters each: the tenth passes 10,000; the other 90 never run.
    assert len(calls) == 10


def test_a_result_within_the_limit_is_whole(limited):
    from graphql import execute

    limited(GRAPHQL_MAX_RESULT_BYTES=200_000)
    calls = []

    result = execute(
        _counting_schema(calls),
        parse("{ items { text } }"),
        execution_context_class=limits.BoundedExecutionContext,
    )

    assert result.errors is None
    assert len(result.data["items"]) == 100


async def test_a_subscription_message_over_the_limit_is_one_error(limited):
    limited(GRAPHQL_MAX_RESULT_BYTES=5_000)
    text = GraphQLField(GraphQLString, resolve=lambda event, info: event.data)
    schema = GraphQLSchema(
        GraphQLObjectType("Query", {"x": GraphQLField(GraphQLString)}),
        subscription=GraphQLObjectType("Subscription", {"ticks": text}),
    )
    subscription = Subscription(
        None, None, schema, parse("subscription { ticks }"), None, None, None
    )

    small = await subscription.result_of("x" * 100)
    large = await subscription.result_of("x" * 6_000)

    assert small == {"data": {"ticks": "x" * 100}}
    assert [e["extensions"]["code"] for e in large["errors"]] == ["result_too_large"]
    assert "data" not in large
