"""What one GraphQL request may cost, for every way in: /graphql, ws, sse, executeGraphQL.

Aliases let a small query ask for one field thousands of times (a 26 KB query
answered 312 MB), so a document is measured before it runs:

- its length (GRAPHQL_MAX_QUERY_CHARS), before it is parsed;
- how deep its fields nest (GRAPHQL_MAX_DEPTH);
- how many aliased fields (GRAPHQL_MAX_ALIASES) and fields in all
  (GRAPHQL_MAX_FIELDS) it selects, each fragment counted every time it is
  spread, which is what execution does;

then graphql-core's own validation runs (its overlapping-fields rule costs
the square of the fields, hence their limit). A document over a limit is
refused with a GraphQL error whose extensions.code names the limit, and
nothing of it runs. While it runs, BoundedExecutionContext adds up the
scalars it completes and stops resolving once they pass
GRAPHQL_MAX_RESULT_BYTES; `encoded` checks the exact size of the JSON made
from the result. Either way the answer is only the error `result_too_large`.
"""

from __future__ import annotations

import json

from graphql import GraphQLError, parse, validate
from graphql.execution.execute import ExecutionContext
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from core.conf import scripts_setting

RESULT_TOO_LARGE = "result_too_large"


def limit_error(message: str, code: str, node=None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


def parsed(query: str) -> DocumentNode:
    """Parse `query`; raise GraphQLError when it is too long or does not parse."""
    limit = scripts_setting("GRAPHQL_MAX_QUERY_CHARS")
    if len(query) > limit:
        raise limit_error(
            f"The query is {len(query)} characters long; the limit is {limit} "
            "(SCRIPTHOST_GRAPHQL_MAX_QUERY_CHARS).",
            "query_too_large",
        )
    try:
        return parse(query)
    except RecursionError:  # graphql-core before 3.2.7 lets it through
        raise _too_deep(None) from None


def validated(schema, document: DocumentNode, **options) -> list[GraphQLError]:
    """The document's errors: its cost first, then graphql-core's rules."""
    errors = cost_errors(document)
    if errors:
        return errors
    try:
        return validate(schema, document, **options)
    except RecursionError:
        return [_too_deep(None)]


def cost_errors(document: DocumentNode) -> list[GraphQLError]:
    """Errors for each operation of `document` over a cost limit."""
    measure = _Measure(document, scripts_setting("GRAPHQL_MAX_DEPTH"))
    max_aliases = scripts_setting("GRAPHQL_MAX_ALIASES")
    max_fields = scripts_setting("GRAPHQL_MAX_FIELDS")
    errors = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        try:
            cost = measure.selections(definition.selection_set, 0)
        except RecursionError:  # fragments spread inside fragments thousands deep
            errors.append(
                limit_error(
                    "The operation spreads fragments inside fragments too "
                    "deeply to be measured.",
                    "query_too_deep",
                    definition,
                )
            )
            continue
        if cost.depth > measure.max_depth:
            errors.append(_too_deep(definition))
        elif cost.aliases > max_aliases:
            errors.append(
                limit_error(
                    f"The operation has more than {max_aliases} aliased fields "
                    "(counting a fragment each time it is spread); each alias "
                    "runs its field again and repeats its result "
                    "(SCRIPTHOST_GRAPHQL_MAX_ALIASES).",
                    "too_many_aliases",
                    definition,
                )
            )
        elif cost.fields > max_fields:
            errors.append(
                limit_error(
                    f"The operation selects more than {max_fields} fields "
                    "(counting a fragment each time it is spread) "
                    "(SCRIPTHOST_GRAPHQL_MAX_FIELDS).",
                    "too_many_fields",
                    definition,
                )
            )
    return errors


def _too_deep(node) -> GraphQLError:
    limit = scripts_setting("GRAPHQL_MAX_DEPTH")
    return limit_error(
        f"The query nests fields more than {limit} levels deep "
        "(SCRIPTHOST_GRAPHQL_MAX_DEPTH).",
        "query_too_deep",
        node,
    )


class _Cost:
    __slots__ = ("depth", "fields", "aliases")

    def __init__(self, depth=0, fields=0, aliases=0):
        self.depth, self.fields, self.aliases = depth, fields, aliases

    def add(self, other: _Cost, levels: int = 0) -> None:
        self.depth = max(self.depth, other.depth + levels)
        self.fields += other.fields
        self.aliases += other.aliases


class _Measure:
    """Depth, fields and aliases of selection sets, fragments expanded (memoised).

    Does not look below max_depth + 1 levels: past it the answer is "too deep"
    whatever the rest holds. A fragment met again while it is being measured
    (a cycle, which validation refuses) counts as empty.
    """

    def __init__(self, document: DocumentNode, max_depth: int):
        self.max_depth = max_depth
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[tuple[str, int], _Cost] = {}

    def selections(self, selection_set: SelectionSetNode, level: int) -> _Cost:
        cost = _Cost()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost.fields += 1
                alias = selection.alias
                if alias is not None and alias.value != selection.name.value:
                    cost.aliases += 1
                inner = _Cost()
                if selection.selection_set is not None and level < self.max_depth:
                    inner = self.selections(selection.selection_set, level + 1)
                elif selection.selection_set is not None:
                    inner = _Cost(depth=1)  # one level too many: enough to know
                cost.add(inner, levels=1)
            elif isinstance(selection, InlineFragmentNode):
                cost.add(self.selections(selection.selection_set, level))
            else:
                cost.add(self.fragment(selection.name.value, level))
        return cost

    def fragment(self, name: str, level: int) -> _Cost:
        # Keyed by level too: how deep a fragment may still go depends on it.
        key = (name, level)
        if key not in self.done:
            definition = self.fragments.get(name)
            self.done[key] = _Cost()  # a cycle back here counts as empty
            if definition is not None:
                self.done[key] = self.selections(definition.selection_set, level)
        return self.done[key]


# -- while and after it runs ----------------------------------------------------------


def result_too_large() -> GraphQLError:
    limit = scripts_setting("GRAPHQL_MAX_RESULT_BYTES")
    return limit_error(
        f"The result is larger than {limit} bytes "
        "(SCRIPTHOST_GRAPHQL_MAX_RESULT_BYTES); select fewer fields or items.",
        RESULT_TOO_LARGE,
    )


class _Stop(GraphQLError):
    """Raised in place of a scalar once the result is too large."""


class BoundedExecutionContext(ExecutionContext):
    """graphql-core's execution, stopped once the scalars pass the result limit.

    The count is of the scalars' serialized sizes (characters of a string),
    less than the JSON they become, so a result that stops here is surely too
    large; `encoded` checks the rest exactly. Once stopped, no further
    resolver runs and the response is only the result_too_large error.
    """

    _result_bytes = 0
    _stopped = False
    _limit = None

    def complete_leaf_value(self, return_type, result):
        serialized = super().complete_leaf_value(return_type, result)
        if isinstance(serialized, str):
            size = len(serialized) + 2  # its quotes; escapes only add more
        elif isinstance(serialized, bool | int | float):
            size = len(str(serialized))  # as JSON writes them
        else:  # a custom scalar's dict or list
            size = len(json.dumps(serialized, default=str))
        if self._limit is None:
            self._limit = scripts_setting("GRAPHQL_MAX_RESULT_BYTES")
        self._result_bytes += size
        if self._result_bytes > self._limit:
            self._stopped = True
            raise _Stop("stopped")
        return serialized

    def execute_field(self, parent_type, source, field_nodes, path):
        if self._stopped:
            return None
        return super().execute_field(parent_type, source, field_nodes, path)

    def build_response(self, data, errors):
        if self._stopped:
            return super().build_response(None, [result_too_large()])
        return super().build_response(data, errors)


def encoded(body: dict) -> str:
    """`body` as JSON, or the result_too_large error when that is over the limit."""
    text = json.dumps(body)  # ASCII (ensure_ascii), so characters are bytes
    if len(text) > scripts_setting("GRAPHQL_MAX_RESULT_BYTES"):
        return json.dumps(too_large_body())
    return text


def bounded(body: dict) -> dict:
    """`body`, or the result_too_large error when its JSON is over the limit."""
    if len(json.dumps(body)) > scripts_setting("GRAPHQL_MAX_RESULT_BYTES"):
        return too_large_body()
    return body


def too_large_body() -> dict:
    return {"errors": [result_too_large().formatted]}
