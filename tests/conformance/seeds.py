"""Read the seeds (../shared/seeds/): their sections and their code blocks.

A conformance fixture is one code block of one seed section, kept as a .js file
(tests/conformance/fixtures/<seed>/<name>.js); `block()` finds the block the
fixture claims to be, so a test can prove the fixture is still verbatim.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

SEEDS = {
    "aiwebengine": "aiwebengine-javascript-api.md",
    "iota": "iota-javascript-runtime.txt",
    "predix": "predix-scripts.md",
}


def seeds_dir() -> Path:
    """The shared seeds folder: beside the checkout (../shared/seeds)."""
    for candidate in (ROOT.parent / "shared" / "seeds", ROOT / "shared" / "seeds"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the seeds folder (../shared/seeds) is missing")


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FENCE = re.compile(r"^```(\w*)\s*$")


@cache
def sections(seed: str, every_heading: bool = False) -> dict[str, list[str]]:
    """{heading text: [code block, ...]} of a Markdown seed, in order.

    Only headings with code under them, unless `every_heading`.
    """
    text = (seeds_dir() / SEEDS[seed]).read_text()
    found: dict[str, list[str]] = {}
    heading, block, in_block = "", [], False
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if in_block:
            if fence and not fence.group(1):
                found.setdefault(heading, []).append("\n".join(block) + "\n")
                in_block, block = False, []
            else:
                block.append(line)
            continue
        if fence:
            in_block = True
            continue
        title = _HEADING.match(line)
        if title:
            heading = title.group(2)
            if every_heading:
                found.setdefault(heading, [])
    return found


def block(seed: str, section: str, index: int = 0) -> str:
    """The index-th code block under the heading `section` of `seed`."""
    blocks = sections(seed).get(section)
    if not blocks:
        raise KeyError(f"{SEEDS[seed]} has no code under the heading {section!r}")
    return blocks[index]


def fixture(seed: str, name: str) -> str:
    return (FIXTURES / seed / f"{name}.js").read_text()
