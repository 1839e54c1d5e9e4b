"""export_scripts writes files that deploy_scripts reads back unchanged."""

import pytest
from django.core.management import CommandError

from scripts_app.models import Script
from tests.conftest import HELLO
from tests.scripts_app.cli import run


def test_export_then_deploy_round_trips_every_script_unchanged(cast, upload, tmp_path):
    upload("hello", HELLO)
    upload("billing.invoice", "// crlf\r\nvar total = 1;\r\n")
    upload("unicode", "var s = 'héllo ✓';\n\n\n   // trailing spaces   \n")
    before = dict(Script.objects.values_list("name", "source"))

    out, _ = run("export_scripts", str(tmp_path / "out"), tenant="acme")
    deployed, _ = run(
        "deploy_scripts", str(tmp_path / "out"), tenant="acme", prune=True
    )

    assert out == f"Exported 3 script(s) of tenant 'acme' to {tmp_path / 'out'}.\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "billing.invoice.js",
        "hello.js",
        "unicode.js",
    ]
    assert deployed.splitlines()[:3] == [
        "unchanged billing.invoice",
        "unchanged hello",
        "unchanged unicode",
    ]
    assert dict(Script.objects.values_list("name", "source")) == before
    assert set(Script.objects.values_list("version", flat=True)) == {1}


def test_export_writes_only_the_tenants_own_scripts(cast, upload, tmp_path):
    upload("hello", HELLO)
    upload("theirs", "var x = 1;\n", user="erin", host="globex.test")

    run("export_scripts", str(tmp_path), tenant="globex")

    assert [p.name for p in tmp_path.iterdir()] == ["theirs.js"]


def test_export_to_a_file_is_a_clear_error(cast, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(CommandError, match="Not a folder"):
        run("export_scripts", str(target), tenant="acme")
    with pytest.raises(CommandError, match="No tenant 'nope'"):
        run("export_scripts", str(tmp_path), tenant="nope")
