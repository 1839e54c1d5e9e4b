"""The walking skeleton over real HTTP: upload hello.js, call it, read its log."""

import uuid

import pytest

from tests.e2e.servers import ROOT, poll, put_script

pytestmark = pytest.mark.server

HELLO = (ROOT / "examples" / "hello.js").read_text()


def test_uploaded_hello_answers_with_the_greeting(server):
    uploaded = put_script(server, "hello", HELLO)
    assert uploaded.status_code in (200, 201), uploaded.text
    assert {"method": "GET", "path": "/hello", "handler": "hello"} in uploaded.json()[
        "routes"
    ]

    with server.client() as client:
        reply = client.get("/hello", params={"name": "Bob"})

    assert reply.status_code == 200
    assert reply.text == "Hello, Bob!"
    assert reply.headers["content-type"].startswith("text/plain")


def test_console_log_of_a_call_is_readable_through_the_api_within_a_second(server):
    assert put_script(server, "hello", HELLO).status_code in (200, 201)
    name = f"Bob-{uuid.uuid4().hex[:8]}"
    expected = f"Saying hello to {name}"

    with server.client() as client:
        assert client.get("/hello", params={"name": name}).status_code == 200

        def messages():
            reply = client.get(
                "/system/api/logs", params={"script": "hello"}, headers=server.auth
            )
            assert reply.status_code == 200, reply.text
            return [entry["message"] for entry in reply.json()["results"]]

        found, waited = poll(messages, lambda m: expected in m, within=1.0)

    assert expected in found, f"not logged after {waited:.2f} s: {found[:5]}"
