"""A script's stored versions: a side-by-side diff of two, and rollback to one.

A rollback is an upload of the old source: it goes through services.prepare
and services.store like any upload, so it becomes a new version, its init()
registers its routes (and jobs, streams...) again, and a registration the
platform can no longer take is dropped with a warning, as for an upload.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from scripts_app.services import Saved, ScriptRejected, prepare, store

CONTEXT_LINES = 3  # unchanged lines shown around each change


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: a line of each side, or a gap.

    `kind` is "equal", "replace", "delete" (left only), "insert" (right
    only), or "skip" (`skipped` unchanged lines not shown). Line numbers
    are 1-based; None where a side has no line.
    """

    kind: str
    left_number: int | None = None
    left: str = ""
    right_number: int | None = None
    right: str = ""
    skipped: int = 0


def side_by_side(old: str, new: str, context: int = CONTEXT_LINES) -> list[DiffRow]:
    """The rows of a diff of `old` (left) against `new` (right).

    Runs of unchanged lines longer than the context around changes become a
    "skip" row; identical sources give no rows at all.
    """
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows: list[DiffRow] = []
    shown_to = 0  # left lines before this index are shown or skipped
    for group in matcher.get_grouped_opcodes(context):
        first = group[0]
        if first[1] > shown_to:
            rows.append(DiffRow("skip", skipped=first[1] - shown_to))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows(tag, a, b, i1, i2, j1, j2))
        shown_to = group[-1][2]
    if rows and shown_to < len(a):
        rows.append(DiffRow("skip", skipped=len(a) - shown_to))
    return rows


def _rows(tag, a, b, i1, i2, j1, j2) -> list[DiffRow]:
    if tag == "equal":
        return [
            DiffRow("equal", i + 1, a[i], j + 1, b[j])
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        left = i < i2
        right = j < j2
        kind = "replace" if left and right else ("delete" if left else "insert")
        rows.append(
            DiffRow(
                kind,
                i + 1 if left else None,
                a[i] if left else "",
                j + 1 if right else None,
                b[j] if right else "",
            )
        )
    return rows


def rollback(script, number: int, user=None) -> Saved:
    """Store version `number` of `script` as its newest version; return Saved.

    Raises ScriptVersion.DoesNotExist for a number the script never had, and
    ScriptRejected when the old source is refused now (a cron expression
    the scheduler no longer takes): nothing is stored then.
    """
    old = script.versions.get(number=number)
    if script.version == number:
        raise ScriptRejected(
            409,
            "already_current",
            f"Version {number} is the current version of {script.name}.",
        )
    return store(prepare(script.tenant, script.name, old.source), user)
