"""The admin shows stored items read-only."""

import pytest
from django.test import Client

from storage_app.models import StoredItem
from tests.cast import PASSWORD

WRITER = """
function write(context) { return sharedStorage.setItem("colour", "teal"); }
routeRegistry.registerRoute("/write", "write", "POST");
"""


@pytest.fixture
def item(cast, script, call):
    script("writer", WRITER)
    call("POST", "/write")
    return StoredItem.objects.get()


@pytest.fixture
def root_client(cast):
    client = Client()
    assert client.login(username="root", password=PASSWORD)
    return client


def test_list_and_detail_show_the_item(item, root_client):
    listing = root_client.get("/system/admin/storage_app/storeditem/")
    detail = root_client.get(f"/system/admin/storage_app/storeditem/{item.pk}/change/")

    assert listing.status_code == 200 and b"colour" in listing.content
    assert detail.status_code == 200 and b"teal" in detail.content
    assert b'name="_save"' not in detail.content


def test_items_cannot_be_added_or_edited(item, root_client):
    added = root_client.get("/system/admin/storage_app/storeditem/add/")
    posted = root_client.post(
        f"/system/admin/storage_app/storeditem/{item.pk}/change/", {"value": "red"}
    )

    assert added.status_code == 403
    assert posted.status_code == 403
    item.refresh_from_db()
    assert item.value == "teal"
