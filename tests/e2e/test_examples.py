"""Every script in examples/ uploads cleanly and does what its header says."""

import pytest

from tests.e2e.servers import ROOT, put_script

pytestmark = pytest.mark.server

EXAMPLES = sorted((ROOT / "examples").glob("*.js"))


def test_bootstrap_loaded_every_example(server):
    with server.client() as client:
        listed = client.get("/system/scripts", headers=server.auth).json()

    assert {script["id"] for script in listed} >= {path.stem for path in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_uploads_cleanly_over_http(server, path):
    reply = put_script(server, path.stem, path.read_text())

    assert reply.status_code in (200, 201), reply.text
    assert reply.json()["routes"], f"{path.name} registers no route"


def test_greet_example_answers_json_for_a_path_parameter(server):
    with server.client() as client:
        french = client.get("/greet/Ada", params={"lang": "fr"})
        default = client.get("/greet/Grace")
        unknown = client.get("/greet/Ada", params={"lang": "xx"})

    assert french.status_code == 200
    assert french.headers["content-type"] == "application/json"
    assert french.json() == {"greeting": "Bonjour, Ada!", "lang": "fr"}
    assert default.json() == {"greeting": "Hello, Grace!", "lang": "en"}
    assert unknown.status_code == 400
    assert "xx" in unknown.json()["error"]


def test_echo_example_returns_the_posted_json_and_the_caller(server):
    with server.client() as client:
        anonymous = client.post("/echo", params={"q": "1"}, json={"a": [1, 2]})
        as_admin = client.post("/echo", json={}, headers=server.auth)
        wildcard = client.get("/echo/some/deep/path")

    assert anonymous.json() == {
        "method": "POST",
        "path": "/echo",
        "query": {"q": "1"},
        "body": {"a": [1, 2]},
        "authenticated": False,
        "user": None,
        "tenant": "default",
    }
    assert (as_admin.json()["authenticated"], as_admin.json()["user"]) == (
        True,
        "admin",
    )
    assert wildcard.json() == {"matched": "some/deep/path", "route": "/echo/*"}
