"""Parse a script's JSDoc-like header comment (the Predix tags)."""

import re

from core.cron import CronError, check_timezone
from core.cron import parse as parse_cron

_BLOCK = re.compile(r"^\s*(?:(['\"])use strict\1;?\s*)?/\*\*(?P<body>.*?)\*/", re.S)
_TAG = re.compile(r"^@(?P<tag>[a-z]+)\b\s*(?P<rest>.*)$")
_PARAM = re.compile(
    r"^\{(?P<type>[^}]*)\}\s*(?P<name>[A-Za-z_$][\w$]*)\s*(?:-\s*)?(?P<desc>.*)$"
)

EXECUTION_MODES = ("pre-processing", "post-processing", "custom")
REST_METHODS = ("GET", "DELETE", "POST", "PUT", "PATCH")
INJECTABLE = ("current",)  # the pre-modified resource, as the global `current`


class HeaderError(ValueError):
    """A header tag with an invalid value, and the line it is on."""

    def __init__(self, message, line):
        super().__init__(message)
        self.line = line


def runs_strict(header: dict) -> bool:
    """True for a Predix script (an @execution tag): the seed runs them all strict."""
    return "execution" in header


def parse_header(source: str) -> dict:
    """Return the header's tags as a dict; {} when the script has no header.

    Raises HeaderError for a tag with an invalid value.
    """
    source = source.removeprefix("\ufeff")  # editors on Windows add a BOM
    match = _BLOCK.match(source)
    if not match:
        return {}
    first_line = source[: match.start("body")].count("\n") + 1
    header: dict = {}
    description = []
    for offset, raw in enumerate(match.group("body").split("\n")):
        line_no = first_line + offset
        text = raw.strip().lstrip("*").strip()
        tag = _TAG.match(text)
        if not tag:
            if text and not header:  # prose before the first tag
                description.append(text)
            continue
        name, rest = tag.group("tag"), tag.group("rest").strip()
        if name in ("name", "author"):
            header[name] = rest
        elif name == "execution":
            if rest not in EXECUTION_MODES:
                raise HeaderError(
                    f"@execution must be one of {', '.join(EXECUTION_MODES)}, got '{rest}'",
                    line_no,
                )
            header["execution"] = rest
        elif name == "methods":
            methods = list(
                dict.fromkeys(m.strip().upper() for m in rest.split(",") if m.strip())
            )
            bad = [m for m in methods if m not in REST_METHODS]
            if bad or not methods:
                got = f", got '{', '.join(bad)}'" if bad else ""
                raise HeaderError(
                    "@methods takes a comma-separated list of "
                    f"{', '.join(REST_METHODS)}{got}",
                    line_no,
                )
            header["methods"] = methods
        elif name == "param":
            param = _PARAM.match(rest)
            if not param:
                raise HeaderError(
                    "@param must look like '{Type} name - description'", line_no
                )
            header.setdefault("params", []).append(
                {
                    "type": param.group("type").strip(),
                    "name": param.group("name"),
                    "description": param.group("desc").strip(),
                }
            )
        elif name == "inject":
            if rest not in INJECTABLE:
                raise HeaderError(
                    f"@inject supports only {', '.join(INJECTABLE)}, got '{rest}'",
                    line_no,
                )
            if rest not in header.setdefault("inject", []):
                header["inject"].append(rest)
        elif name == "cron":
            # IOTA's cron scripts: main() runs on this schedule (scheduler_app).
            if not rest:
                raise HeaderError(
                    "@cron needs an expression such as '0 9 * * *' (a '*/' ends the "
                    "comment, so write '*/10 * * * *' as '0-59/10 * * * *')",
                    line_no,
                )
            try:
                header["cron"] = parse_cron(rest).text.strip()
            except CronError as exc:
                raise HeaderError(
                    f"@cron '{rest}' is not valid: {exc}", line_no
                ) from None
        elif name == "timezone":
            try:
                check_timezone(rest)
            except ValueError as exc:
                raise HeaderError(f"@timezone: {exc}", line_no) from None
            header["timezone"] = rest
        else:
            header.setdefault("tags", {})[name] = rest
    if "timezone" in header and "cron" not in header:
        raise HeaderError(
            "@timezone says where an @cron schedule's times are; add an @cron tag",
            first_line,
        )
    if description:
        header["description"] = " ".join(description)
    return header
