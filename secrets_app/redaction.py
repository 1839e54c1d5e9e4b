"""Find secret values, and the common encodings of them, in text the script sees.

A `Redactor` is built once per set of secrets (and cached): every variant of
every value goes into one compiled regular expression, longest first, so text
is scanned in one pass however many secrets and variants there are.

Covered, for each value: the value itself in any letter case (so lower- and
upper-cased echoes too), the value reversed (any case), hex (any case),
percent-encoding (three common safe sets, any case of the hex digits),
JSON string escaping and HTML escaping; base64, standard and URL-safe, with
and without padding, also inside a longer base64 string (as in
`Basic base64(user:value)`): there the value's bytes may start at any of three
offsets, and the characters wholly made of the value's bits are matched, so at
most the one character at each end that mixes the value's bits with its
neighbours' stays (a few bits of the value).

Not covered, and not coverable by matching: any other transformation (a hash,
encryption, another encoding, an encoding applied twice, a mix such as base64
of the lower-cased value), a value split into pieces, or one character at a
time. docs/operations.md ("Secrets") says so to operators.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from urllib.parse import quote, quote_plus

# Base64 inside a longer base64 string: the value's bytes start at offset 0, 1
# or 2 of a 3-byte group.
_OFFSETS = (0, 1, 2)


def _encodings(value: str) -> list[bytes]:
    """Return the byte forms a value travels as: Latin-1 in headers, UTF-8 in bodies."""
    forms = [value.encode("utf-8")]
    try:
        latin = value.encode("latin-1")
    except UnicodeEncodeError:
        return forms
    return forms if latin == forms[0] else [*forms, latin]


def _base64_cores(data: bytes) -> list[str]:
    """Return the base64 characters made of `data`'s bits alone, at each offset."""
    cores = []
    for offset in _OFFSETS:
        encoded = base64.b64encode(bytes(offset) + data + bytes(2)).decode("ascii")
        first = -(-8 * offset // 6)  # the first character with no prefix bit
        last = (8 * (offset + len(data))) // 6  # the first with a suffix bit
        cores.append(encoded[first:last])
    return cores


def variants(value: str) -> tuple[set[str], set[str]]:
    """Return (case-insensitive, case-sensitive) strings that give `value` away."""
    folded = {
        value,
        value[::-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
    }
    exact = set()
    for data in _encodings(value):
        folded.add(data.hex())
        folded.add(quote(data, safe=""))
        standard = base64.b64encode(data).decode("ascii")
        safe = base64.urlsafe_b64encode(data).decode("ascii")
        exact |= {standard, standard.rstrip("="), safe, safe.rstrip("=")}
        for core in _base64_cores(data):
            exact |= {core, core.replace("+", "-").replace("/", "_")}
    exact -= folded  # a variant that is matched in any case need not be twice
    return folded, exact


class Redactor:
    """Replace or find the values of some secrets, and their encodings, in text."""

    def __init__(self, secrets: dict[str, str]):
        self._exact: dict[str, str] = {}  # variant -> identifier
        self._folded: dict[str, str] = {}  # lower-cased variant -> identifier
        self._each: dict[str, re.Pattern] = {}
        alternatives: list[tuple[str, bool]] = []
        for identifier, value in sorted(secrets.items()):
            folded, exact = variants(value)
            mine = [(t, True) for t in folded] + [(t, False) for t in exact]
            for text, is_folded in mine:
                table = self._folded if is_folded else self._exact
                table.setdefault(text.lower() if is_folded else text, identifier)
            self._each[identifier] = _compiled(mine)
            alternatives += mine
        # One pattern, no capture groups (they cost the scan about three times
        # as much); longest first, so at one position the longest variant wins
        # and a padded base64 is taken whole rather than its unpadded prefix.
        self._pattern = _compiled(alternatives) if alternatives else None

    def _identifier(self, match: re.Match) -> str:
        text = match.group()
        found = self._exact.get(text) or self._folded.get(text.lower())
        if found:
            return found
        # Unicode case folding can match text whose lower() differs (such as
        # the Kelvin sign for "k"): ask each secret's own pattern.
        return next(i for i, p in self._each.items() if p.fullmatch(text))

    def redact(self, text: str) -> str:
        """Return `text` with every variant replaced by `[secret:identifier]`."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: f"[secret:{self._identifier(m)}]", text)

    def found(self, *texts: str) -> set[str]:
        """Return the identifiers of the secrets that occur in any of `texts`."""
        if self._pattern is None:
            return set()
        return {
            self._identifier(m)
            for text in texts
            if text
            for m in self._pattern.finditer(text)
        }


def _compiled(alternatives: list[tuple[str, bool]]) -> re.Pattern:
    ordered = sorted(set(alternatives), key=lambda a: (-len(a[0]), a))
    return re.compile(
        "|".join(f"(?i:{re.escape(t)})" if f else re.escape(t) for t, f in ordered)
    )


@functools.lru_cache(maxsize=128)
def _cached(items: tuple[tuple[str, str], ...]) -> Redactor:
    return Redactor(dict(items))


def redactor_for(secrets: dict[str, str]) -> Redactor:
    """Return the (cached) Redactor for these identifiers and values."""
    return _cached(tuple(sorted(secrets.items())))
