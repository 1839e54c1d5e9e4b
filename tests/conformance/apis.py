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


NOT_BUILT: dict[tuple[str, str], str] = {}

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
    "handler context and request (context.request, req.method/path/query/form)",
    "response objects ({status, body, contentType})",
    "GraphQL resolver functions (args)",
    "scheduled handler context (context.meta.schedule)",
    "error handling in handlers (try/catch, status codes)",
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
    Api("iota", "db.findOne / db.findMany"),
    Api(
        "iota",
        "db.query(sql, params)",
        not_built="a later issue: SQL over the store; until then it throws an "
        "error that names db.findOne/db.findMany and services.<collection>.list",
    ),
    Api("iota", "services.*"),
    Api("iota", "http.get / http.post"),
    Api("iota", "storage.set / storage.get / storage.delete"),
    Api("iota", "utils.uuid / utils.date.* / utils.crypto.hash"),
    Api("iota", "events.publish"),
    Api("iota", "console.log(message, fields)"),
    Api("iota", "cron scripts (async function main)"),
    Api("iota", "HTTP endpoint scripts (/api/custom/... path, {status, body} reply)"),
    Api("iota", "event handlers (handler(event), event.data)"),
    Api("iota", "compilation errors (line/column)"),
    Api(
        "iota",
        "timeouts (SCRIPT_TIMEOUT_SECONDS)",
        deviates="a script past its time limit is stopped, not thrown into: the "
        "seed's `catch` around a runaway loop never runs (V8's termination, "
        "which stops it, passes every `catch`, so no script can run on past "
        "its limit). The caller gets 504 and the "
        "execution is recorded as `timeout`. The limit is SCRIPT_TIMEOUT_SECONDS "
        "for HTTP endpoints (default 20 s) and 30 s for cron and one-off runs",
    ),
    Api(
        "iota",
        "structured log output (level, tenant_id, source_file)",
        deviates="`console.log` is stored at level `LOG`, the level the "
        "aiwebengine seed gives the same call (the IOTA sample prints `info`; "
        "`console.info` is `INFO`); the fields keep the names the script gave "
        "(`action`, where the sample prints `user_action`); the tenant and the "
        "script (`source_file`) are the entry's own, not fields",
    ),
    Api(
        "iota",
        "environment: SCRIPT_TIMEOUT_SECONDS, SCRIPT_MAX_MEMORY_MB, SCRIPT_VM_POOL_SIZE",
    ),
    Api(
        "iota",
        "environment: SCRIPTS_ENABLED, SCRIPT_VM_TIMEOUT_SECONDS",
        deviates="not read. Scripts are what scripthost runs, so they are always "
        "enabled; a call waits for a free warm context at most as long as its "
        "own time limit (then 503 `script_busy`), with no setting of its own. "
        "SCRIPT_TIMEOUT_SECONDS and SCRIPT_MAX_MEMORY_MB set the limits of HTTP "
        "endpoints and event handlers; cron and one-off runs have their own, "
        "SCRIPT_CRON_TIMEOUT_SECONDS and SCRIPT_CRON_MEMORY_MB (30 s, 128 MB)",
    ),
    Api(
        "iota",
        "script permissions (ScriptCreate / ScriptRead / ScriptUpdate / ScriptDelete)",
    ),
    Api("iota", "one-off scripts (manual runs, ScriptExecute)"),
]

PREDIX = [
    Api("predix", "/system/scripts REST API"),
    Api("predix", "script header tags (@name, @methods, @param, @execution)"),
    Api("predix", "@execution modes (pre-, post-processing, custom)"),
    Api("predix", "@inject"),
    Api("predix", "$ SDK (beyond $.uuid)"),
    Api("predix", "top-level yield"),
    Api("predix", "number of executions (one per entity of a POST)"),
    Api("predix", "resource limitations (time, memory, concurrency)"),
    Api("predix", "strict mode (all Scripts)"),
    Api("predix", "$.uuid.v1() / $.uuid.v4()"),
    Api(
        "predix",
        "ES6 support (generators, arrow functions, literals, let, String methods)",
    ),
]


def all_apis() -> list[Api]:
    return [*_aiwebengine(), *IOTA, *PREDIX]
