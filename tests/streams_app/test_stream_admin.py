"""The admin shows streams and their kept messages, read-only."""

import pytest
from django.test import Client

from tests.cast import PASSWORD
from tests.streams_app.streaming import forget_streams, put

pytestmark = pytest.mark.django_db

SOURCE = """
function who(c) { return {}; }
function send(c) { return routeRegistry.sendStreamMessage("/admin-feed", "hello admin"); }
routeRegistry.registerStreamRoute("/admin-feed", "who");
routeRegistry.registerRoute("/admin-feed/send", "send", "POST");
"""


@pytest.fixture
def root(cast, upload, api):
    forget_streams()
    put(upload, "feeder", SOURCE)
    assert api(host="acme.test").post("/admin-feed/send").status_code == 200
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    yield client
    forget_streams()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/system/admin/streams_app/streamroute/", [b"/admin-feed", b"feeder", b"who"]),
        ("/system/admin/streams_app/streammessage/", [b"/admin-feed", b"hello admin"]),
    ],
)
def test_streams_and_messages_are_listed(root, path, expected):
    reply = root.get(path)

    assert reply.status_code == 200
    for text in expected:
        assert text in reply.content


@pytest.mark.parametrize("model", ["streamroute", "streammessage"])
def test_nothing_can_be_added_or_changed_there(root, model):
    from django.apps import apps

    row = apps.get_model("streams_app", model).objects.get()

    assert root.get(f"/system/admin/streams_app/{model}/add/").status_code == 403
    detail = root.get(f"/system/admin/streams_app/{model}/{row.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert (
        root.post(f"/system/admin/streams_app/{model}/{row.pk}/delete/").status_code
        == 403
    )
