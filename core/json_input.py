"""Parse JSON that comes from outside (request bodies, variables) with a bound on nesting.

Python's json module recurses once per level: 100,000 nested brackets raise
RecursionError, which no caller expects (Django answered it with its HTML 500
page), and a document nested a few hundred levels deep still parses but then
breaks whatever walks it next (GraphQL's variable coercion, json.dumps to a
script). `loads` turns both into a JSONInputError, a ValueError, so every
caller that already refuses malformed JSON refuses these the same way.
"""

from __future__ import annotations

import json

from core.conf import scripts_setting


class JSONInputError(ValueError):
    """The text is not JSON, or is JSON nested deeper than allowed."""


def loads(text, *, max_depth: int | None = None, **options):
    """Return json.loads(text, **options); raise JSONInputError when it fails.

    A value nested more than `max_depth` arrays and objects deep (default:
    SCRIPTS["MAX_JSON_DEPTH"]) is refused; a scalar has depth 0, `[]` 1.
    """
    limit = max_depth if max_depth is not None else scripts_setting("MAX_JSON_DEPTH")
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise JSONInputError(_too_deep(limit)) from None
    except ValueError as exc:  # JSONDecodeError, and bytes that are not UTF-8
        raise JSONInputError(str(exc)) from None
    if depth_exceeds(value, limit):
        raise JSONInputError(_too_deep(limit))
    return value


def depth_exceeds(value, limit: int) -> bool:
    """True if `value` nests more than `limit` lists and dicts deep.

    Iterative, so a value of any depth is checked without recursion.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _too_deep(limit: int) -> str:
    return (
        f"The JSON is nested more than {limit} levels deep (SCRIPTHOST_MAX_JSON_DEPTH)."
    )
