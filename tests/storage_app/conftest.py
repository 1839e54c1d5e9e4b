"""Fixtures for storage tests: upload a script, call its routes as a cast member."""

import pytest


@pytest.fixture
def script(upload):
    """Upload `source` as script `name` in acme; fail the test if it is refused."""

    def put(name, source, host="acme.test"):
        owner = "erin" if host == "globex.test" else "alice"
        response = upload(name, source, user=owner, host=host)
        assert response.status_code in (200, 201), response.content
        return response

    return put


@pytest.fixture
def call(api):
    """Call a script route: call("GET", "/path", user="alice"); return the response."""

    def send(method, path, user=None, host="acme.test", **kwargs):
        return api(user, host).generic(method, path, **kwargs)

    return send
