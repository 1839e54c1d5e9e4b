"""Management commands: bootstrap, upload_script, drf_create_token."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scripts_app.models import Script
from tenants.models import Membership, Role, Tenant
from tests.conftest import HELLO

EXAMPLES = sorted(p.stem for p in (Path(settings.BASE_DIR) / "examples").glob("*.js"))


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def admin_env(monkeypatch):
    monkeypatch.setenv("SCRIPTHOST_ADMIN_USER", "admin")
    monkeypatch.delenv("SCRIPTHOST_ADMIN_PASSWORD", raising=False)


def test_examples_exist_to_be_loaded():
    assert "hello" in EXAMPLES


def test_bootstrap_twice_makes_one_admin_and_loads_the_examples_once(db, admin_env):
    run("bootstrap")
    run("bootstrap")
    admins = get_user_model().objects.filter(is_superuser=True)
    assert list(admins.values_list("username", flat=True)) == ["admin"]
    default = Tenant.objects.get(slug="default")
    assert Membership.objects.get(user__username="admin").role == Role.OWNER
    assert Membership.objects.filter(tenant=default).count() == 1
    scripts = Script.objects.filter(tenant=default)
    assert sorted(scripts.values_list("name", flat=True)) == EXAMPLES
    assert {s.version for s in scripts} == {1}
    assert {s.versions.count() for s in scripts} == {1}


def test_bootstrap_prints_a_generated_password_once(db, admin_env):
    first = run("bootstrap")
    match = re.search(r"with password: (\S+)", first)
    assert match, first
    assert get_user_model().objects.get(username="admin").check_password(match[1])
    second = run("bootstrap")
    assert "password" not in second
    assert "Loaded 0 example script(s)" in second


def test_bootstrap_uses_the_password_from_the_environment(db, admin_env, monkeypatch):
    monkeypatch.setenv("SCRIPTHOST_ADMIN_PASSWORD", "from-the-env-123")
    output = run("bootstrap")
    assert "from-the-env-123" not in output
    assert "password:" not in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("from-the-env-123")


def test_bootstrap_creates_the_default_tenant_when_it_is_missing(db, admin_env):
    Tenant.objects.filter(slug="default").delete()
    run("bootstrap")
    assert Tenant.objects.filter(slug="default").exists()


def test_drf_create_token_gives_the_admin_a_working_token(db, admin_env):
    run("bootstrap")
    output = run("drf_create_token", "admin")
    key = Token.objects.get(user__username="admin").key
    assert key in output
    client = APIClient()  # no tenant domain: the default tenant
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listing = client.get("/system/scripts")
    assert listing.status_code == 200
    assert sorted(s["id"] for s in listing.json()) == EXAMPLES


def test_upload_script_creates_then_updates_from_a_file(cast, tmp_path):
    path = tmp_path / "hello.js"
    path.write_text(HELLO)
    assert run("upload_script", str(path), tenant="acme") == (
        "Created hello v1: GET /hello\n"
    )
    assert run("upload_script", str(path), tenant="acme").startswith("Updated hello v2")
    script = Script.objects.get(tenant=cast["acme"], name="hello")
    assert script.source == HELLO


def test_upload_script_prints_a_warning_for_each_failed_registration(cast, tmp_path):
    path = tmp_path / "mixed.js"
    path.write_text(
        "function h() { return 'x'; }\n"
        "routeRegistry.registerRoute('/cmd-ok', 'h');\n"
        "routeRegistry.registerStreamRoute('bad');\n"
    )
    out, err = StringIO(), StringIO()
    call_command("upload_script", str(path), tenant="acme", stdout=out, stderr=err)

    assert out.getvalue() == "Created mixed v1: GET /cmd-ok\n"
    assert err.getvalue() == (
        "Warning: registration refused: path must start with '/': bad\n"
    )


def test_upload_script_prints_the_registrations_the_platform_dropped(cast, tmp_path):
    held = tmp_path / "hello.js"
    held.write_text(HELLO)
    run("upload_script", str(held), tenant="acme")
    path = tmp_path / "rival.js"
    path.write_text(
        HELLO
        + "routeRegistry.registerRoute('/graphql', 'hello');\n"
        + "routeRegistry.registerRoute('/rival', 'hello');\n"
    )
    out, err = StringIO(), StringIO()
    call_command("upload_script", str(path), tenant="acme", stdout=out, stderr=err)

    assert out.getvalue() == "Created rival v1: GET /rival\n"
    assert err.getvalue() == (
        "Warning: registration refused: route GET /graphql: the path is the "
        "platform's (reserved)\n"
        "Warning: registration refused: route GET /hello: script 'hello' already "
        "serves it\n"
    )


def test_upload_script_takes_an_explicit_id(cast, tmp_path):
    path = tmp_path / "whatever.js"
    path.write_text("var x = 1;\n")
    run("upload_script", str(path), id="named", tenant="globex")
    assert Script.objects.get(name="named").tenant == cast["globex"]


def test_upload_script_reports_a_compile_error_with_line_and_column(cast, tmp_path):
    path = tmp_path / "broken.js"
    path.write_text("var a = 1;\nvar b = ;\n")
    with pytest.raises(CommandError) as caught:
        run("upload_script", str(path), tenant="acme")
    message = str(caught.value)
    assert message.startswith("broken.js: SyntaxError")
    assert message.count("line 2, column 9") == 1
    assert not Script.objects.exists()


def test_upload_script_names_the_tenants_when_one_is_unknown(cast, tmp_path):
    path = tmp_path / "x.js"
    path.write_text("var x;")
    with pytest.raises(CommandError) as caught:
        run("upload_script", str(path), tenant="initech")
    assert "initech" in str(caught.value)
    assert "acme" in str(caught.value)


def test_upload_script_of_a_missing_file_fails_clearly(cast, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("upload_script", str(tmp_path / "nope.js"), tenant="acme")
