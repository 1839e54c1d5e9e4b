"""Every API the seeds document, with what the platform says of it.

An API's status in docs/conformance.md comes from the conformance tests that
name it (`@conforms("api name")`): all passed, "conforms"; any failed, "fails".
An API no test names yet says so. Only the entries below that are not built,
or that deviate, carry words of their own, and each says why or which issue
builds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.conformance.seeds import sections

_API_HEADING = re.compile(r"^[A-Za-z_][\w.]*\(.*\)$")


@dataclass(frozen=True)
class Api:
    seed: str
    name: str
    not_built: str = ""  # which issue builds it
    deviates: str = ""  # why it differs, in words a user would accept


NOT_BUILT = {
    ("aiwebengine", "schedulerService.registerOnce(options)"): "issue 14, scheduler",
    (
        "aiwebengine",
        "schedulerService.registerRecurring(options)",
    ): "issue 14, scheduler",
    ("aiwebengine", "schedulerService.clearAll()"): "issue 14, scheduler",
}

# What differs, and why; the tests that name these APIs still run (a failing
# one shows as "fails").
DEVIATES = {
    (
        "aiwebengine",
        "graphQLRegistry.registerMutation(name, sdl, resolverFunction, visibility)",
    ): (
        "from the GraphQL spec, not the seed: `Int` carries any safe JavaScript "
        "integer (up to 2^53 - 1), not only 32-bit ones, so the seed's "
        "`id: Date.now()` is served (graphql_app/scalars.py)"
    ),
}


# Documented in lists rather than headings.
AIWEBENGINE_LISTED = [
    "validate.requireQueryParam / requirePathParam / validateString / validateNumber",
    "console.info / warn / error / debug",
    "console.listLogs()",
    "console.listLogsForUri(uri)",
    "console.pruneLogs()",
]


def _aiwebengine() -> list[Api]:
    """Every `name(args)` heading of the aiwebengine seed, in order, then the rest."""
    names = [
        heading
        for heading in sections("aiwebengine", every_heading=True)
        if _API_HEADING.match(heading)
    ]
    return [
        Api(
            "aiwebengine",
            name,
            not_built=NOT_BUILT.get(("aiwebengine", name), ""),
            deviates=DEVIATES.get(("aiwebengine", name), ""),
        )
        for name in [*names, *AIWEBENGINE_LISTED]
    ]


# The IOTA seed is plain text without headings for its calls: listed by hand,
# in the order it shows them.
IOTA = [
    Api("iota", "context (global)"),
    Api("iota", "db.query / db.findOne / db.findMany", not_built="issue 15, documents"),
    Api("iota", "services.*", not_built="issue 15, documents"),
    Api("iota", "http.get / http.post"),
    Api("iota", "storage.set / storage.get / storage.delete"),
    Api("iota", "utils.uuid / utils.date.* / utils.crypto.hash"),
    Api("iota", "events.publish"),
    Api("iota", "console.log(message, fields)"),
    Api("iota", "cron scripts (async function main)", not_built="issue 14, scheduler"),
]

PREDIX = [
    Api("predix", "/system/scripts REST API"),
    Api("predix", "script header tags (@name, @methods, @param, @execution)"),
    Api(
        "predix",
        "@execution modes (pre-, post-processing, custom)",
        not_built="issue 15, triggers",
    ),
    Api("predix", "@inject", not_built="issue 15, triggers"),
    Api("predix", "$ SDK", not_built="issue 15, triggers"),
    Api("predix", "top-level yield", not_built="issue 15, triggers"),
]


def all_apis() -> list[Api]:
    return [*_aiwebengine(), *IOTA, *PREDIX]
