"""R14: the core names no feature app; every app reaches it through core.plugins."""

import ast
from pathlib import Path

from core.plugins import plugins

ROOT = Path(__file__).resolve().parents[2]
CORE = ("core", "engine", "tenants", "scripts_app")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_imports_no_feature_app():
    feature_apps = {p.name for p in plugins()} - {"scripts_app"}
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for package in CORE
        for path in (ROOT / package).rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in feature_apps
    }

    assert feature_apps >= {"assets_app", "streams_app", "graphql_app"}
    assert offenders == set()
