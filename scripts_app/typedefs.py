"""Read static/scripthost/scripthost.d.ts: the globals it declares, for completions.

The .d.ts is the one description of what the platform gives scripts: people
use it in their own editors, the admin's editor completes from the JSON made
here (`python -m scripts_app.typedefs` writes it, `make editor` runs that),
and tests/scripts_app/test_type_definitions.py checks it against a real run.
It is read line by line, so it keeps a simple layout (the file's header says
which): top-level `declare` lines, interfaces and classes with one member a
line, two spaces in, each documented by a `/** ... */` comment above it.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DTS = ROOT / "static" / "scripthost" / "scripthost.d.ts"
COMPLETIONS = ROOT / "static" / "scripthost" / "editor" / "completions.json"

_NAME = r"[A-Za-z_$][\w$]*"
_DECLARE_VALUE = re.compile(rf"^declare (?:const|let|var) ({_NAME}): (.+);$")
_DECLARE_FUNCTION = re.compile(rf"^declare function ({_NAME})(.*);$")
_DECLARE_CLASS = re.compile(rf"^declare class ({_NAME})\b.*\{{$")
_INTERFACE = re.compile(rf"^interface ({_NAME})\b.*\{{$")
_MEMBER = re.compile(
    rf"^  (?:readonly )?(?:static )?({_NAME})\??(<[^(]*>)?([(:])(.*?);?$"
)
_DOC = re.compile(r"^\s*/\*\*\s?(.*?)\s*\*/$")


@dataclass
class Member:
    name: str
    kind: str  # "method" or "property"
    detail: str  # the signature or the type, as written
    info: str = ""
    type_name: str = ""  # a property's interface, when it names one


@dataclass
class Declaration:
    name: str
    kind: str  # "value", "function" or "class"
    detail: str
    info: str = ""
    type_name: str = ""
    members: dict[str, Member] = field(default_factory=dict)


@dataclass
class Definitions:
    globals: dict[str, Declaration]
    interfaces: dict[str, dict[str, Member]]

    def members_of(self, name: str) -> dict[str, Member]:
        """A global's members: its class's, or those of the interface it names."""
        found = self.globals[name]
        if found.kind == "class":
            return found.members
        return self.interfaces.get(found.type_name, {})

    def nested(self, name: str) -> dict[str, dict[str, Member]]:
        """Members of a global's members that name an interface (utils.date...)."""
        return {
            member.name: self.interfaces[member.type_name]
            for member in self.members_of(name).values()
            if member.type_name in self.interfaces
        }


def _type_name(text: str) -> str:
    """`Foo | null` -> "Foo"; anything else that is not a bare name -> ""."""
    bare = text.replace("| null", "").strip()
    return bare if re.fullmatch(_NAME, bare) else ""


def read(text: str) -> Definitions:
    """Parse the .d.ts; raise ValueError on a line in a block it cannot read."""
    globals_: dict[str, Declaration] = {}
    interfaces: dict[str, dict[str, Member]] = {}
    block: dict[str, Member] | None = None
    doc = ""
    for number, line in enumerate(text.splitlines(), 1):
        comment = _DOC.match(line)
        if comment:
            doc = comment.group(1)
            continue
        if block is not None:
            if line == "}":
                block = None
            elif line.startswith("  [") or line.startswith("  constructor("):
                pass  # an index signature or a constructor: no member name
            elif line.strip():
                found = _MEMBER.match(line)
                if not found:
                    raise ValueError(
                        f"scripthost.d.ts line {number}: cannot read {line!r}"
                    )
                name, generic, opener, rest = found.groups()
                if opener == "(":
                    member = Member(name, "method", (generic or "") + "(" + rest, doc)
                else:
                    rest = rest.strip()
                    member = Member(name, "property", rest, doc, _type_name(rest))
                block[name] = member
            doc = ""
            continue
        if found := _DECLARE_VALUE.match(line):
            name, type_text = found.groups()
            globals_[name] = Declaration(
                name, "value", type_text, doc, type_name=_type_name(type_text)
            )
        elif found := _DECLARE_FUNCTION.match(line):
            name, signature = found.groups()
            globals_[name] = Declaration(name, "function", signature, doc)
        elif found := _DECLARE_CLASS.match(line):
            name = found.group(1)
            globals_[name] = Declaration(name, "class", "class " + name, doc)
            block = globals_[name].members
        elif found := _INTERFACE.match(line):
            block = interfaces.setdefault(found.group(1), {})
        elif line.startswith("declare "):
            raise ValueError(f"scripthost.d.ts line {number}: cannot read {line!r}")
        doc = ""
    return Definitions(globals_, interfaces)


def _member_entry(member: Member, nested: dict[str, Member] | None) -> dict:
    entry = {"kind": member.kind, "detail": member.detail, "info": member.info}
    if nested:
        entry["members"] = {m.name: _member_entry(m, None) for m in nested.values()}
    return entry


def completions(text: str) -> dict:
    """The editor's completions: {globals: {name: {kind, detail, info, members}}}."""
    definitions = read(text)
    result = {}
    for name in sorted(definitions.globals):
        found = definitions.globals[name]
        nested = definitions.nested(name)
        members = {
            member.name: _member_entry(member, nested.get(member.name))
            for member in definitions.members_of(name).values()
        }
        entry = {"kind": found.kind, "detail": found.detail, "info": found.info}
        if members:
            entry["members"] = members
        result[name] = entry
    return {"source": "static/scripthost/scripthost.d.ts", "globals": result}


def render_completions(text: str) -> str:
    return json.dumps(completions(text), indent=1, sort_keys=True) + "\n"


def main() -> int:
    COMPLETIONS.write_text(render_completions(DTS.read_text()))
    print(f"wrote {COMPLETIONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
