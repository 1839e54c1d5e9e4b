"""The console's commands as people run them: `python manage.py ...` processes.

Exit codes and messages of real processes, and tail_logs --follow printing
a log line another process wrote.
"""

import selectors
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.servers import ROOT

TENANT = "cli-e2e"
HELLO = """
function main(context) {
  console.log("cli e2e says " + context.args.word, {word: context.args.word});
  return "done";
}
routeRegistry.registerRoute("/cli-e2e", "main");
"""


@pytest.fixture(scope="module")
def manage(installation):
    """Run manage.py against the installation; return the CompletedProcess."""

    def run(*args, check=None):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=installation.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check is not None:
            assert done.returncode == check, (done.stdout, done.stderr)
        return done

    run(
        "shell",
        "-c",
        f"from tenants.models import Tenant; Tenant.objects.create(slug='{TENANT}', "
        "name='CLI')",
        check=0,
    )
    return run


def test_commands_exit_nonzero_with_a_clear_message(manage, tmp_path):
    for args, message in [
        (("list_scripts", "--tenant", "nope"), "No tenant 'nope'"),
        (("export_scripts", str(tmp_path), "--tenant", "nope"), "No tenant 'nope'"),
        (("deploy_scripts", str(tmp_path / "no-dir"), "--tenant", TENANT), "No such"),
        (("tail_logs", "--tenant", TENANT, "--script", "nope"), "No script 'nope'"),
        (("tail_logs", "--tenant", TENANT, "--level", "LOUD"), "Unknown level"),
    ]:
        done = manage(*args)
        assert done.returncode == 1, args
        assert message in done.stderr, (args, done.stderr)


def test_deploy_export_and_list_round_trip_through_processes(manage, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "hello.js").write_text(HELLO)
    (source / "broken.js").write_text("var a = 1;\nvar b = ;\n")

    refused = manage("deploy_scripts", str(source), "--tenant", TENANT, check=1)
    assert refused.stderr.startswith("broken.js:2:9: SyntaxError")
    assert "Nothing deployed" in refused.stderr
    assert manage("list_scripts", "--tenant", TENANT, check=0).stdout == (
        f"Tenant '{TENANT}' has no scripts.\n"
    )

    (source / "broken.js").unlink()
    manage("deploy_scripts", str(source), "--tenant", TENANT, check=0)
    listed = manage("list_scripts", "--tenant", TENANT, check=0).stdout.splitlines()
    assert listed[1].split()[:4] == ["hello", "1", "yes", "1"]

    manage("export_scripts", str(tmp_path / "out"), "--tenant", TENANT, check=0)
    again = manage(
        "deploy_scripts", str(tmp_path / "out"), "--tenant", TENANT, "--dry-run"
    )
    assert again.returncode == 0
    assert again.stdout.splitlines() == [
        "unchanged hello",
        "Dry run: 0 change(s) planned, none made.",
    ]


def test_tail_logs_follow_prints_what_another_process_logs(
    manage, installation, tmp_path
):
    (tmp_path / "hello.js").write_text(HELLO)
    manage("deploy_scripts", str(tmp_path), "--tenant", TENANT, check=0)
    follower = subprocess.Popen(
        [sys.executable, "manage.py", "tail_logs", "--tenant", TENANT]
        + ["--follow", "--lines", "0", "--interval", "0.2", "--script", "hello"],
        cwd=ROOT,
        env=installation.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # It follows what is written after it says so.
        _read_line(follower, "Following new entries", within=60, stream="stderr")
        manage("run_script", "hello", "--tenant", TENANT, "--args", '{"word": "zebra"}')
        line = _read_line(follower, containing="cli e2e says zebra", within=30)
        assert line.endswith('[LOG] hello: cli e2e says zebra {"word": "zebra"}')
    finally:
        follower.send_signal(signal.SIGINT)
        code = follower.wait(timeout=15)
    assert code == 0, follower.stderr.read()


def _read_line(process, containing: str, within: float, stream="stdout") -> str:
    """The first line of the process's output with `containing`, within a time."""
    output = getattr(process, stream)
    selector = selectors.DefaultSelector()
    selector.register(output, selectors.EVENT_READ)
    deadline = time.monotonic() + within
    seen = []
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            line = output.readline()
            if not line:
                break
            seen.append(line)
            if containing in line:
                return line.rstrip("\n")
    raise AssertionError(f"no line with {containing!r} within {within} s: {seen}")
