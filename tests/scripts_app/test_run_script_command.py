"""manage.py run_script: a handler run from the command line, exit status 0 or 1."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scripts_app.models import Execution, Script

ONE_OFF = """// @type one-off
async function main(context) {
  console.log("migrating " + context.tenant.name);
  return {migrated: context.args.rows || 0, by: context.execution.triggeredBy,
          user: context.user};
}

function sum(context) { return context.args.reduce((a, b) => a + b, 0); }

function fails() {
  console.warn("giving up");
  throw new Error("migration failed");
}

function forever() { for (;;) {} }
"""


@pytest.fixture
def migrate_script(upload):
    assert upload("migrate", ONE_OFF).status_code == 201
    return Script.objects.get(tenant__slug="acme", name="migrate")


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_script", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_main_runs_and_its_result_and_logs_are_printed(migrate_script, records):
    out, _ = run("migrate", "--tenant", "acme", "--args", '{"rows": 42}')
    lines = out.splitlines()
    assert lines[0] == "[LOG] migrating Acme"
    assert lines[1].startswith("migrate.main() ok in ")
    assert '"migrated": 42' in out
    assert '"by": "manual"' in out
    assert '"user": null' in out
    records()
    row = Execution.objects.get()
    assert (row.kind, row.triggered_by, row.handler, row.status) == (
        "manual",
        "manual",
        "main",
        "ok",
    )
    assert str(row.id) in lines[1]


def test_a_script_is_found_by_its_number_too(migrate_script):
    out, _ = run(
        str(migrate_script.pk),
        "--tenant",
        "acme",
        "--handler",
        "sum",
        "--args",
        "[1, 2, 3]",
    )
    assert out.splitlines()[-1] == "6"


def test_a_thrown_error_fails_with_its_message_and_line(migrate_script, records):
    with pytest.raises(CommandError) as raised:
        run("migrate", "--tenant", "acme", "--handler", "fails")
    line = ONE_OFF.splitlines().index('  throw new Error("migration failed");') + 1
    assert "migration failed" in str(raised.value)
    assert f"migrate.js:{line}:" in str(raised.value)
    records()
    assert Execution.objects.get().status == "error"


def test_a_run_past_the_time_limit_fails(migrate_script, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "LIMITS": {**settings.SCRIPTS["LIMITS"], "cron": (0.3, 128)},
    }
    with pytest.raises(CommandError, match="exceeded its time limit of 0.3 s"):
        run("migrate", "--tenant", "acme", "--handler", "forever")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--args", "{oops"], "args is not valid JSON"),
        (["--args", '"text"'], "args must be a JSON object or array, not a string"),
        (["--handler", "nope"], "migrate.js has no function 'nope'"),
        (["--handler", "2bad"], "'2bad' is not a function name"),
    ],
)
def test_bad_requests_fail_and_store_nothing(migrate_script, records, options, message):
    with pytest.raises(CommandError, match=message):
        run("migrate", "--tenant", "acme", *options)
    records()
    assert not Execution.objects.exists()


def test_an_unknown_script_or_tenant_fails(migrate_script):
    with pytest.raises(CommandError, match="No script 'nope' in tenant 'acme'"):
        run("nope", "--tenant", "acme")
    with pytest.raises(CommandError, match="No tenant 'initech'"):
        run("migrate", "--tenant", "initech")


def test_the_default_tenant_is_used_without_tenant(migrate_script):
    # The script lives in acme; the default tenant has no such script.
    with pytest.raises(CommandError, match="in tenant 'default'"):
        run("migrate")
