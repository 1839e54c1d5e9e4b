"""R14: the core names no feature app; every app reaches it through core.plugins."""

from core.plugins import plugins
from tests.imports import ROOT, imported_modules

CORE = ("core", "engine", "tenants", "scripts_app")


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
