"""The walking skeleton: upload hello, call it, read its log."""

from tests.conftest import HELLO


def test_uploaded_hello_answers_and_logs(upload, api, records):
    response = upload("hello", HELLO)
    assert response.status_code == 201, response.content
    reply = api(host="acme.test").get("/hello?name=Bob")
    assert reply.status_code == 200
    assert reply.content == b"Hello, Bob!"
    records()
    logs = api("alice").get("/system/api/logs?script=hello").json()
    assert [e["message"] for e in logs["results"]] == ["hello Bob"]
