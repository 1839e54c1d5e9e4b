"""Example scripts give way: a script registering a path an example holds takes it.

`make run` loads examples/ into the default tenant (bootstrap, load_examples),
and those hold paths people use in their own first scripts (/users, /chat,
/hello...). An example, as loaded and not changed since, is removed when
another script registers something it holds; any other script keeps what it
registered first (test_upload_warnings.py).
"""

import pytest
from django.core.management import call_command

from scripts_app.models import Route, Script
from scripts_app.services import save_script

HOST = "acme.test"

EXAMPLE = """
function create(context) { return { status: 201, body: "the example" }; }
function read(context) { return { status: 200, body: "example read" }; }
function init(context) {
  routeRegistry.registerRoute("/users", "create", "POST");
  routeRegistry.registerRoute("/users/:id", "read", "GET");
}
"""

MINE = """
function createUser(context) { return { status: 200, body: "mine" }; }
routeRegistry.registerRoute("/users", "createUser", "POST");
"""

STREAM_EXAMPLE = """
function init(context) { routeRegistry.registerStreamRoute("/chat"); }
"""

MY_STREAM = """
function init(context) { routeRegistry.registerStreamRoute("/chat"); }
"""


@pytest.fixture
def acme(cast):
    return cast["acme"]


def test_an_example_holding_a_path_is_removed_for_the_script_that_registers_it(
    acme, upload, api
):
    save_script(acme, "users", EXAMPLE, example=True)
    assert api(host=HOST).post("/users").content == b"the example"

    reply = upload("user-service", MINE)

    assert reply.status_code == 201, reply.content
    [warning] = reply.json()["warnings"]
    assert warning.startswith("example script 'users' held a path this script")
    assert not Script.objects.filter(tenant=acme, name="users").exists()
    served = api(host=HOST).post("/users")
    assert (served.status_code, served.content) == (200, b"mine")
    # The example's other route went with it.
    gone = api(host=HOST).get("/users/1")
    assert gone.status_code >= 400 and b"example read" not in gone.content
    assert list(Route.objects.filter(tenant=acme).values_list("path", "method")) == [
        ("/users", "POST")
    ]


def test_a_stream_an_example_holds_is_taken_too(acme, upload):
    save_script(acme, "chat", STREAM_EXAMPLE, example=True)
    reply = upload("my-chat", MY_STREAM)
    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"][0].startswith("example script 'chat' held")
    assert Script.objects.get(name="my-chat").registrations["streams"]
    assert not Script.objects.filter(name="chat").exists()


def test_an_example_changed_since_it_was_loaded_keeps_its_paths(acme, upload):
    save_script(acme, "users", EXAMPLE, example=True)
    save_script(acme, "users", EXAMPLE.replace("the example", "edited"))  # by a user
    assert Script.objects.get(name="users").example is False

    reply = upload("user-service", MINE)

    assert reply.status_code == 201, reply.content
    assert reply.json()["warnings"] == [
        "route POST /users: script 'users' already serves it"
    ]
    assert Script.objects.filter(name="users").exists()


def test_an_upload_that_is_refused_removes_no_example(acme, upload):
    save_script(acme, "users", EXAMPLE, example=True)
    reply = upload("user-service", MINE + "\nfunction broken( {")
    assert reply.status_code == 400
    assert Script.objects.filter(name="users", example=True).exists()


def test_examples_do_not_push_each_other_out(acme):
    save_script(acme, "users", EXAMPLE, example=True)
    saved = save_script(acme, "users-too", EXAMPLE, example=True)
    assert saved.warnings and "script 'users' already serves it" in saved.warnings[0]
    assert Script.objects.filter(example=True).count() == 2


def test_load_examples_marks_what_it_loads_as_examples(acme, tmp_path):
    (tmp_path / "demo.js").write_text(EXAMPLE)
    call_command("load_examples", tenant=acme.slug, dir=str(tmp_path))
    assert Script.objects.get(tenant=acme, name="demo").example is True


def test_an_example_giving_way_is_not_called_a_refusal(acme, tmp_path, records):
    from scripts_app.models import LogEntry
    from tests.scripts_app.cli import run

    save_script(acme, "users", EXAMPLE, example=True)
    mine = tmp_path / "user-service.js"
    mine.write_text(MINE)

    _, err = run("upload_script", str(mine), tenant="acme")
    records()

    assert err.startswith("Warning: Example script 'users' held a path this script")
    assert "refused" not in err
    [logged] = LogEntry.objects.filter(tenant=acme, level="WARN").values_list(
        "message", flat=True
    )
    assert logged.startswith("Example script 'users' held a path this script")
