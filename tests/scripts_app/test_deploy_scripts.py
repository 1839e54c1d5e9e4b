"""deploy_scripts: a folder of .js files becomes a tenant's scripts, all or nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scripts_app.models import Route, Script
from tests.conftest import HELLO
from tests.scripts_app.cli import run

GREET = "function greet() { return 'hi'; }\nrouteRegistry.registerRoute('/greet', 'greet');\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "hello.js").write_text(HELLO)
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "invoice.js").write_text(GREET)
    (tmp_path / "README.md").write_text("not a script")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hook.js").write_text("syntax error (")
    return tmp_path


def names(tenant):
    return sorted(Script.objects.filter(tenant=tenant).values_list("name", flat=True))


def test_deploy_creates_one_script_per_file_named_after_the_file(cast, folder):
    out, err = run("deploy_scripts", str(folder), tenant="acme")

    assert names(cast["acme"]) == ["billing.invoice", "hello"]
    assert out.splitlines() == [
        "create    billing.invoice",
        "create    hello",
        "Deployed to tenant 'acme': 2 created, 0 updated, 0 unchanged, 0 deleted, "
        "0 kept.",
    ]
    assert err == ""
    assert Script.objects.get(tenant=cast["acme"], name="hello").source == HELLO
    assert set(
        Route.objects.filter(tenant=cast["acme"]).values_list("path", flat=True)
    ) == {
        "/hello",
        "/greet",
    }
    assert names(cast["globex"]) == []


def test_deploy_again_updates_only_the_changed_files(cast, folder):
    run("deploy_scripts", str(folder), tenant="acme")
    (folder / "hello.js").write_text(HELLO + "// changed\n")

    out, _ = run("deploy_scripts", str(folder), tenant="acme")

    assert out.splitlines()[:2] == ["update    hello", "unchanged billing.invoice"]
    versions = dict(
        Script.objects.filter(tenant=cast["acme"]).values_list("name", "version")
    )
    assert versions == {"hello": 2, "billing.invoice": 1}


def test_dry_run_prints_the_plan_and_changes_nothing(cast, folder, upload):
    upload("old", "var x = 1;\n")
    upload("hello", HELLO + "// stored\n")

    out, _ = run("deploy_scripts", str(folder), tenant="acme", dry_run=True, prune=True)

    assert out.splitlines() == [
        "create    billing.invoice",
        "update    hello",
        "delete    old",
        "Dry run: 3 change(s) planned, none made.",
    ]
    assert names(cast["acme"]) == ["hello", "old"]
    assert Script.objects.get(tenant=cast["acme"], name="hello").version == 1


def test_without_prune_scripts_missing_from_the_folder_are_kept(cast, folder, upload):
    upload("old", "var x = 1;\n")

    out, _ = run("deploy_scripts", str(folder), tenant="acme")

    assert "kept      old" in out.splitlines()
    assert names(cast["acme"]) == ["billing.invoice", "hello", "old"]


def test_prune_deletes_scripts_missing_from_the_folder(cast, folder, upload):
    upload("old", "var x = 1;\n")

    out, _ = run("deploy_scripts", str(folder), tenant="acme", prune=True)

    assert "delete    old" in out.splitlines()
    assert names(cast["acme"]) == ["billing.invoice", "hello"]


def test_a_compile_error_in_one_file_deploys_nothing(cast, folder, upload):
    upload("hello", HELLO + "// stored\n")
    (folder / "broken.js").write_text("var a = 1;\nvar b = ;\n")
    (folder / "billing" / "bad.js").write_text("function (\n")

    with pytest.raises(CommandError) as caught:
        run("deploy_scripts", str(folder), tenant="acme", prune=True)

    assert "Nothing deployed to tenant 'acme': 2 problem(s)" in str(caught.value)
    assert names(cast["acme"]) == ["hello"]
    assert Script.objects.get(tenant=cast["acme"], name="hello").version == 1


def test_compile_errors_are_printed_as_file_line_column(cast, folder):
    (folder / "broken.js").write_text("var a = 1;\nvar b = ;\n")
    (folder / "billing" / "bad.js").write_text("var ok = 1;\nfunction (\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("deploy_scripts", str(folder), tenant="acme", stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("billing/bad.js:2:1: SyntaxError: Function statements")
    assert lines[1].startswith("broken.js:2:9: SyntaxError: Unexpected token ';'")


def test_two_files_with_one_id_are_refused(cast, folder):
    (folder / "billing.invoice.js").write_text(GREET)

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("deploy_scripts", str(folder), tenant="acme", stderr=err)

    assert err.getvalue() == (
        "billing.invoice.js: script id 'billing.invoice' is also billing/invoice.js\n"
    )
    assert names(cast["acme"]) == []


def test_registration_warnings_are_printed_and_the_rest_deployed(cast, tmp_path):
    (tmp_path / "mixed.js").write_text(
        "function h() { return 'x'; }\n"
        "routeRegistry.registerRoute('/cli-ok', 'h');\n"
        "routeRegistry.registerRoute('/graphql', 'h');\n"
    )

    _, err = run("deploy_scripts", str(tmp_path), tenant="acme")

    assert err == (
        "Warning: mixed: registration refused: route GET /graphql: the path is "
        "the platform's (reserved)\n"
    )
    assert list(
        Route.objects.filter(tenant=cast["acme"]).values_list("path", flat=True)
    ) == ["/cli-ok"]


def test_pruning_frees_routes_for_the_files_that_take_them_over(cast, tmp_path, upload):
    upload("old", HELLO)
    (tmp_path / "new.js").write_text(HELLO)

    out, err = run("deploy_scripts", str(tmp_path), tenant="acme", prune=True)

    assert err == ""
    assert out.splitlines()[:2] == ["create    new", "delete    old"]
    route = Route.objects.get(tenant=cast["acme"], path="/hello")
    assert route.script.name == "new"


def test_unknown_tenant_and_missing_folder_are_clear_errors(cast, tmp_path):
    with pytest.raises(CommandError, match=r"No tenant 'nope' \(tenants: .*acme"):
        run("deploy_scripts", str(tmp_path), tenant="nope")
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing deployed"):
        call_command(
            "deploy_scripts", str(tmp_path / "missing"), tenant="acme", stderr=err
        )
    assert err.getvalue() == f"No such folder: {tmp_path / 'missing'}\n"


EXAMPLE_USERS = (
    "function list() { return 'the example'; }\n"
    "function init(context) { routeRegistry.registerRoute('/users', 'list'); }\n"
)
MY_USERS = "function mine() { return 'mine'; }\nrouteRegistry.registerRoute('/users', 'mine');\n"


def test_an_example_giving_way_is_worded_as_planned_in_a_dry_run(cast, tmp_path):
    from scripts_app.services import save_script

    save_script(cast["acme"], "users-example", EXAMPLE_USERS, example=True)
    (tmp_path / "users.js").write_text(MY_USERS)

    _, planned = run("deploy_scripts", str(tmp_path), tenant="acme", dry_run=True)

    assert planned.startswith(
        "Warning: users: example script 'users-example' held a path this script "
        "registers, and would be removed to make way for it"
    )
    assert "registration refused" not in planned
    assert "users-example" in names(cast["acme"])  # a dry run changes nothing

    _, done = run("deploy_scripts", str(tmp_path), tenant="acme")

    assert done.startswith(
        "Warning: users: example script 'users-example' held a path this script "
        "registers, and was removed to make way for it"
    )
    assert "users-example" not in names(cast["acme"])
