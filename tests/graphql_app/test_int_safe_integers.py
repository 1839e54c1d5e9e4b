"""Int carries JavaScript's safe integers, not only 32-bit ones (graphql_app.scalars)."""

import pytest

NUMBERS = """
function number(context) {
  const which = context.args.which;
  if (which === "safe") return Number.MAX_SAFE_INTEGER;
  if (which === "unsafe") return Number.MAX_SAFE_INTEGER + 1;
  if (which === "fraction") return 1.5;
  return -Number.MAX_SAFE_INTEGER;
}
function echo(context) {
  return context.args.n;
}
graphQLRegistry.registerQuery(
  "number", "type Query { number(which: String!): Int }", "number", "external");
graphQLRegistry.registerQuery(
  "echo", "type Query { echo(n: Int!): Int! }", "echo", "external");
"""
SAFE = 2**53 - 1


@pytest.fixture
def numbers(upload):
    assert upload("numbers", NUMBERS).status_code == 201


@pytest.mark.parametrize(("which", "value"), [("safe", SAFE), ("lowest", -SAFE)])
def test_a_resolver_may_answer_any_safe_integer(graphql, numbers, which, value):
    query = "query N($w: String!) { number(which: $w) }"

    assert graphql(query, {"w": which}).json() == {"data": {"number": value}}


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("unsafe", "Int cannot represent an integer beyond JavaScript's safe"),
        ("fraction", "Int cannot represent non-integer value: 1.5"),
    ],
)
def test_other_numbers_are_still_refused(graphql, numbers, which, message):
    body = graphql("query N($w: String!) { number(which: $w) }", {"w": which}).json()

    assert body["data"] == {"number": None}
    assert body["errors"][0]["message"].startswith(message)


def test_arguments_take_safe_integers_as_variables_and_literals(graphql, numbers):
    as_variable = graphql("query E($n: Int!) { echo(n: $n) }", {"n": SAFE}).json()
    as_literal = graphql(f"{{ echo(n: {-SAFE}) }}").json()
    too_big = graphql("query E($n: Int!) { echo(n: $n) }", {"n": SAFE + 1}).json()
    literal_too_big = graphql(f"{{ echo(n: {SAFE + 1}) }}").json()

    assert as_variable == {"data": {"echo": SAFE}}
    assert as_literal == {"data": {"echo": -SAFE}}
    for refused in (too_big, literal_too_big):
        assert "data" not in refused or refused["data"] is None
        assert "beyond JavaScript's safe integers" in refused["errors"][0]["message"]


def test_introspection_describes_the_wider_int(graphql):
    body = graphql('{ __type(name: "Int") { description } }').json()

    assert "2^53 - 1" in body["data"]["__type"]["description"]
