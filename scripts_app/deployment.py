"""Make a tenant's scripts match a folder of files, and write them back out.

One file is one script. Its id is the file's path under the folder without
the `.js`, with `.` between folders: `hello.js` is `hello` (as
`upload_script` and `load_examples` name it) and `billing/invoice.js` is
`billing.invoice`. Hidden files and folders (`.git`) and other extensions are
not scripts. `export_scripts` writes every script flat, as `<id>.js`, which
reads back as the same id.

A deploy is all or nothing: every new or changed file is checked in V8
first (services.prepare, as an upload is), and if any is refused nothing is
stored; then the changes are stored in one transaction (services.store),
the pruned scripts deleted first, so a route may move between files (or
from a pruned script to a file) in one deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from scripts_app.models import Script
from scripts_app.services import Prepared, ScriptRejected, delete_script, prepare
from scripts_app.services import store as store_prepared

SUFFIX = ".js"


class DeployRefused(Exception):
    """A deploy that changed nothing; `problems` lists every reason, one a line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Plan:
    """What a deploy does: script ids by action, in order, and the checked sources."""

    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)  # only with prune
    kept: list[str] = field(default_factory=list)  # not in the folder, no prune
    files: dict[str, Path] = field(default_factory=dict)
    prepared: dict[str, Prepared] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The plan as `<action> <id>` lines, by action (deletions are applied first)."""
        out = []
        for action in ("create", "update", "unchanged", "delete", "kept"):
            out += [f"{action:<9} {name}" for name in getattr(self, action)]
        return out

    def warnings(self) -> list[tuple[str, str]]:
        """(id, warning) of every registration refused in the checked sources."""
        return [(n, w) for n, p in self.prepared.items() for w in p.warnings]


def script_id(root: Path, path: Path) -> str:
    """The id of the script a file holds: its path under root, '.'-joined."""
    parts = path.relative_to(root).parts
    return ".".join([*parts[:-1], parts[-1][: -len(SUFFIX)]])


def read_folder(root: Path) -> dict[str, tuple[Path, bytes]]:
    """Every script file under root, by id; DeployRefused when two share an id."""
    if not root.is_dir():
        raise DeployRefused([f"No such folder: {root}"])
    found: dict[str, tuple[Path, bytes]] = {}
    problems = []
    for path in sorted(root.rglob(f"*{SUFFIX}")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        name = script_id(root, path)
        if name in found:
            problems.append(
                f"{relative}: script id '{name}' is also {found[name][0].relative_to(root)}"
            )
            continue
        found[name] = (path, path.read_bytes())
    if problems:
        raise DeployRefused(problems)
    return found


def plan(tenant, root: Path, prune: bool = False) -> Plan:
    """Read the folder and check every new or changed file; store nothing.

    Raises DeployRefused with one `file:line:col: message` per refused file
    (all of them, not only the first).
    """
    files = read_folder(root)
    stored = dict(
        Script.objects.filter(tenant=tenant).values_list("name", "source").order_by()
    )
    result = Plan(files={name: path for name, (path, _) in files.items()})
    problems = []
    for name, (path, raw) in sorted(files.items()):
        if name in stored and _same(raw, stored[name]):
            result.unchanged.append(name)
            continue
        try:
            result.prepared[name] = prepare(tenant, name, raw)
        except ScriptRejected as exc:
            problems.append(_where(path.relative_to(root), exc))
            continue
        (result.update if name in stored else result.create).append(name)
    if problems:
        raise DeployRefused(problems)
    gone = sorted(set(stored) - set(files))
    if prune:
        result.delete = gone
    else:
        result.kept = gone
    return result


def apply(tenant, checked: Plan, user=None) -> list[tuple[str, str]]:
    """Store a checked plan in one transaction; return the registration warnings.

    Deletions go first, then the sources whose registrations all passed,
    then the others, checked again: a route a pruned or updated script gave
    up is free by then, so a route that moves between files in one deploy
    reaches its new file.
    """
    warned = {name for name, _ in checked.warnings()}
    order = [n for n in checked.create + checked.update if n not in warned]
    order += [n for n in checked.create + checked.update if n in warned]
    with transaction.atomic():
        for script in Script.objects.filter(tenant=tenant, name__in=checked.delete):
            delete_script(script)
        for name in order:
            prepared = checked.prepared[name]
            if name in warned:
                prepared = checked.prepared[name] = prepare(
                    tenant, name, prepared.source
                )
            store_prepared(prepared, user)
    return checked.warnings()


def export(tenant, root: Path) -> list[Path]:
    """Write every script of the tenant as root/<id>.js; return the files."""
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in (
        Script.objects.filter(tenant=tenant)
        .order_by("name")
        .values_list("name", "source")
    ):
        path = root / f"{name}{SUFFIX}"
        # newline="": the source's own line endings, byte for byte.
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(source)
        written.append(path)
    return written


def _same(raw: bytes, source: str) -> bool:
    try:
        return raw.decode("utf-8") == source
    except UnicodeDecodeError:
        return False


def _where(relative: Path, exc: ScriptRejected) -> str:
    """`file:line:col: message`, as compilers say it (no position: `file: ...`)."""
    if exc.line is None:
        return f"{relative}: {exc.message}"
    return f"{relative}:{exc.line}:{exc.column or 1}: {exc.message}"
