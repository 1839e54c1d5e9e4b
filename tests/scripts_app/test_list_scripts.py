"""list_scripts prints a tenant's scripts as a table."""

import pytest
from django.core.management import CommandError

from scripts_app.models import Script
from tests.conftest import HELLO
from tests.scripts_app.cli import run


def test_list_scripts_shows_id_version_enabled_routes_and_updated(cast, upload):
    upload("hello", HELLO)
    upload("hello", HELLO + "\n")
    upload("quiet", "var x = 1;\n")
    Script.objects.filter(name="quiet").update(enabled=False)
    upload("theirs", "var x = 1;\n", user="erin", host="globex.test")

    out, _ = run("list_scripts", tenant="acme")

    header, *rows = out.splitlines()
    assert header.split() == ["id", "version", "enabled", "routes", "updated"]
    cells = [row.split() for row in rows]
    assert [c[:4] for c in cells] == [
        ["hello", "2", "yes", "1"],
        ["quiet", "1", "no", "0"],
    ]
    updated = Script.objects.get(name="hello").updated_at
    assert cells[0][4:] == updated.strftime("%Y-%m-%d %H:%M:%SZ").split()


def test_list_scripts_of_an_empty_tenant_says_so(cast):
    assert (
        run("list_scripts", tenant="globex")[0] == "Tenant 'globex' has no scripts.\n"
    )


def test_list_scripts_defaults_to_the_default_tenant(cast, upload):
    upload("hello", HELLO)
    assert run("list_scripts")[0] == "Tenant 'default' has no scripts.\n"


def test_list_scripts_of_an_unknown_tenant_fails(cast):
    with pytest.raises(CommandError, match="No tenant 'nope'"):
        run("list_scripts", tenant="nope")
