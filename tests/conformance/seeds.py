"""Read the seeds (../shared/seeds/): their sections and their code blocks.

A conformance fixture is one code block of one seed section, kept as a .js file
(tests/conformance/fixtures/<seed>/<name>.js); `block()` finds the block the
fixture claims to be, so a test can prove the fixture is still verbatim.

The Markdown seeds fence their code, so a block is the index-th fence under a
heading. The IOTA seed is plain text: no fences, no heading markers, code and
prose line after line. A block there is named by its section heading (a line
of the seed) and its exact line range, `Lines(first, last)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Lines:
    """Lines first..last of a plain-text seed, counted from 1, both included."""

    first: int
    last: int


# How far above its block a plain-text heading may be: one line of prose may
# come between ("Permissions" / "Scripts inherit user permissions:" / code).
_HEADING_REACH = 2
# A line of code in the IOTA seed: a comment (// or #), a variable of the
# environment (NAME=value), or one that ends as statements, blocks and
# literals do. Its headings and prose never look like that (a heading may end
# in ")": "Storage (Key-Value Store)").
_CODE_LINE = re.compile(r"^\s*(//|#)|^[A-Z][A-Z0-9_]*=|[;{}\[\],]\s*$")


@cache
def text_lines(seed: str) -> list[str]:
    return (seeds_dir() / SEEDS[seed]).read_text().split("\n")


def text_block(seed: str, section: str, lines: Lines) -> str:
    """Lines `lines` of the plain-text `seed`, a whole code block under `section`.

    The heading is a line of the seed, found once, at most _HEADING_REACH
    lines above the block; the block's first and last lines are code and the
    lines around it are not, so a range cut short or run on is refused.
    """
    text = text_lines(seed)
    name = SEEDS[seed]
    if not 1 <= lines.first <= lines.last <= len(text):
        raise KeyError(f"{name} has no lines {lines.first}-{lines.last}")
    at = [n for n, line in enumerate(text, 1) if line.strip() == section]
    if len(at) != 1:
        raise KeyError(
            f"{name} has {len(at)} lines reading {section!r}; a heading is one line"
        )
    if not 0 < lines.first - at[0] <= _HEADING_REACH:
        raise KeyError(
            f"{name}: the heading {section!r} is line {at[0]}, not just above "
            f"line {lines.first}"
        )

    def code(n: int) -> bool:
        return 1 <= n <= len(text) and bool(_CODE_LINE.search(text[n - 1]))

    if not (code(lines.first) and code(lines.last)):
        raise KeyError(
            f"{name}: lines {lines.first}-{lines.last} do not start and end with code"
        )
    if (lines.first - 1 != at[0] and code(lines.first - 1)) or code(lines.last + 1):
        raise KeyError(
            f"{name}: lines {lines.first}-{lines.last} are part of a longer block"
        )
    return "\n".join(text[lines.first - 1 : lines.last]) + "\n"


def block(seed: str, section: str, index: int | Lines = 0) -> str:
    """The index-th code block under the heading `section` of `seed`.

    For the plain-text seed, `index` is the block's Lines.
    """
    if isinstance(index, Lines):
        return text_block(seed, section, index)
    blocks = sections(seed).get(section)
    if not blocks:
        raise KeyError(f"{SEEDS[seed]} has no code under the heading {section!r}")
    return blocks[index]


def fixture(seed: str, name: str) -> str:
    """The fixture's text: name.js, or name.<other> for a block that is not JS."""
    path = FIXTURES / seed / f"{name}.js"
    if not path.exists():
        path = next((FIXTURES / seed).glob(f"{name}.*"), path)
    return path.read_text()
