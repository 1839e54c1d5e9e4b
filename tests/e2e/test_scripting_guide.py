"""Every script in docs/scripting-guide.md uploads and answers as the guide says.

Each ```javascript block in the guide follows a comment of this form:

    <!-- example: script-id
    GET /path?x=1 -> 200 text the body contains
    POST /path {"json": "body"} -> 201
    GET /path as admin -> 200 text
    upload -> 400 text
    -->

The block is uploaded as script-id (expecting 201 unless an `upload` line says
otherwise), then each request is sent and must answer with the status and a
body containing the text (whitespace aside). /system/api/ requests carry the admin's
token and are retried for two seconds, since logs are written in batches.
"""

import json
import re
from dataclasses import dataclass, field

import pytest

from tests.e2e.servers import ROOT, poll, put_script

pytestmark = pytest.mark.server

GUIDE = ROOT / "docs" / "scripting-guide.md"
BLOCK = re.compile(
    r"(?:<!-- example: (?P<name>[\w.-]+)\n(?P<checks>.*?)-->\n)?```javascript\n(?P<source>.*?)```",
    re.S,
)
CHECK = re.compile(
    r"^(?P<method>[A-Z]+|upload)(?: (?P<path>/\S*))?(?P<admin> as admin)?"
    r"(?: (?P<body>[\[{].*?))? -> (?P<status>\d{3})(?: (?P<text>.*))?$"
)


@dataclass
class Check:
    method: str
    path: str
    admin: bool
    body: str | None
    status: int
    text: str


@dataclass
class Example:
    name: str
    source: str
    checks: list[Check] = field(default_factory=list)


def parse_guide(text: str) -> list[Example]:
    examples = []
    for block in BLOCK.finditer(text):
        line = text[: block.start("source")].count("\n")
        assert block["name"], f"line {line}: a javascript block has no example comment"
        example = Example(block["name"], block["source"])
        for raw in block["checks"].strip().splitlines():
            check = CHECK.match(raw.strip())
            assert check, f"{block['name']}: cannot read check {raw!r}"
            example.checks.append(
                Check(
                    check["method"],
                    check["path"] or "",
                    bool(check["admin"]),
                    check["body"],
                    int(check["status"]),
                    (check["text"] or "").strip(),
                )
            )
        examples.append(example)
    return examples


EXAMPLES = parse_guide(GUIDE.read_text())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def texts_of(reply) -> list[str]:
    """Return the body, and for JSON its compact form and every string in it."""
    found = [reply.text]
    try:
        data = reply.json()
    except ValueError:
        return found
    found.append(json.dumps(data, ensure_ascii=False))
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def answers(reply, check: Check) -> bool:
    return reply.status_code == check.status and any(
        squash(check.text) in squash(text) for text in texts_of(reply)
    )


def test_guide_has_runnable_examples_with_unique_ids():
    names = [example.name for example in EXAMPLES]

    assert len(names) >= 10
    assert len(names) == len(set(names))
    assert all(example.checks for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_guide_example_works_as_documented(server, example):
    uploads = [c for c in example.checks if c.method == "upload"]
    expected = uploads[0] if uploads else Check("upload", "", False, None, 201, "")
    uploaded = put_script(server, example.name, example.source)
    assert answers(uploaded, expected), (
        f"upload: {uploaded.status_code} {uploaded.text}"
    )

    with server.client() as client:
        for check in example.checks:
            if check.method != "upload":
                reply = send(client, server, check)
                assert answers(reply, check), (
                    f"{check.method} {check.path}: {reply.status_code} {reply.text[:500]}"
                )


def send(client, server, check: Check):
    api = check.path.startswith("/system/api/")
    headers = dict(server.auth) if check.admin or api else {}
    if check.body:
        headers["Content-Type"] = "application/json"
    reply, _ = poll(
        lambda: client.request(
            check.method, check.path, content=check.body, headers=headers
        ),
        lambda r: answers(r, check),
        within=2.0 if api else 0,
    )
    return reply
