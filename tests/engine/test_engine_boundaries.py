"""R1: engine/ is Django-free, and only engine/context.py imports py_mini_racer."""

import subprocess
import sys

from tests.imports import ROOT, imported_modules

SKIP = {".venv", ".git", "node_modules", "var", "bench"}


def project_files():
    for path in ROOT.rglob("*.py"):
        if not SKIP.intersection(path.relative_to(ROOT).parts):
            yield path


def test_only_engine_context_imports_py_mini_racer():
    importers = {
        str(path.relative_to(ROOT))
        for path in project_files()
        if any(name.split(".")[0] == "py_mini_racer" for name in imported_modules(path))
    }
    assert importers == {"engine/context.py"}


def test_engine_package_imports_nothing_from_django_or_the_apps():
    code = (
        "import sys, asyncio, engine\n"
        "from engine import Engine, Limits, ScriptSource\n"
        "async def main():\n"
        "    e = Engine(1, load_limits=Limits.of(1, 20))\n"
        "    o = await e.analyze(ScriptSource('function init(c) {}', 'a.js', {}))\n"
        "    assert o.ok, o.error\n"
        "asyncio.run(main())\n"
        "apps = ('django', 'rest_framework', 'config', 'tenants', 'scripts_app',"
        " 'assets_app', 'storage_app', 'streams_app')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in apps))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
