"""GraphQL's Int, widened to JavaScript's safe integers (a deviation from the spec).

The GraphQL spec's Int is 32-bit, and graphql-core refuses anything beyond
±2^31 ("Int cannot represent non 32-bit signed integer value"). Scripts are
JavaScript, whose integers are exact up to Number.MAX_SAFE_INTEGER (2^53 - 1),
and the aiwebengine seed's own createUser example answers `id: Date.now()`
(about 1.7e12) for a field of type `Int!`. So every schema served here
(/graphql, /graphql/ws, /graphql/sse, executeGraphQL) reads and writes any
integer |n| <= 2^53 - 1 as Int; beyond that it still refuses, saying why.
JSON carries such numbers exactly, and JavaScript clients read them exactly.

graphql-core has one Int type object, shared by graphene's platform schema
and the scripts' schemas built from SDL (a schema may hold only one type named
Int), so `widen_int()` replaces that object's three conversions, once, when
the app is ready. Each keeps graphql-core's own checks and messages and only
moves the bounds: a value graphql-core refused for its size alone is
accepted when it is a safe integer.
"""

from __future__ import annotations

from graphql import GraphQLError, GraphQLInt
from graphql.language import print_ast
from graphql.pyutils import inspect

MAX_SAFE_INTEGER = 2**53 - 1
_TOO_BIG = "Int cannot represent non 32-bit signed integer value"

DESCRIPTION = (
    "The `Int` scalar type represents non-fractional signed whole numeric "
    "values. Here Int can represent JavaScript's safe integers, between "
    "-(2^53 - 1) and 2^53 - 1 (the GraphQL spec's Int is 32-bit)."
)


def _safe(num: int, shown: str, node=None) -> int:
    if not -MAX_SAFE_INTEGER <= num <= MAX_SAFE_INTEGER:
        raise GraphQLError(
            "Int cannot represent an integer beyond JavaScript's safe integers "
            f"(-(2^53 - 1) to 2^53 - 1): {shown}",
            node,
        )
    return num


def _widened(convert, number, show, literal=False):
    """`convert`, with a refusal for size alone turned into the safe-integer check."""

    def widened(value, *args):
        try:
            return convert(value, *args)
        except GraphQLError as error:
            if not error.message.startswith(_TOO_BIG):
                raise
        # graphql-core found an integer (in a number, a string or a literal)
        # and refused only its size.
        return _safe(number(value), show(value), value if literal else None)

    widened.__name__ = getattr(convert, "__name__", "widened")
    widened.widened = True
    return widened


def widen_int() -> None:
    """Make graphql-core's Int accept safe JavaScript integers (idempotent)."""
    if getattr(GraphQLInt.serialize, "widened", False):
        return
    GraphQLInt.serialize = _widened(GraphQLInt.serialize, int, inspect)
    GraphQLInt.parse_value = _widened(GraphQLInt.parse_value, int, inspect)
    GraphQLInt.parse_literal = _widened(
        GraphQLInt.parse_literal, lambda node: int(node.value), print_ast, literal=True
    )
    GraphQLInt.description = DESCRIPTION
