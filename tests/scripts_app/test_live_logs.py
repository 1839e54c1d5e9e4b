"""Live logs: stored entries are published to their script's panels; who may watch.

The publishing tests run on whichever stack is configured: with REDIS_URL the
entries go through Redis (the scaled stack), else straight to this process's
hubs.
"""

import asyncio
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from guardian.shortcuts import assign_perm

from scripts_app import live_logs
from scripts_app.models import Script
from scripts_app.records import RecordBuffer, log_rows
from tests.cast import PASSWORD

TARGET = object()


def _rows(tenant_id, script_id, *messages, level="INFO"):
    return log_rows(
        tenant_id,
        script_id,
        "watched",
        None,
        [],
        [{"level": level, "message": m} for m in messages],
    )


async def test_a_published_entry_reaches_the_panels_of_its_script_only():
    connections = live_logs.hub()
    try:
        mine = await connections.connect(5, live_logs.key(11), {}, TARGET)
        other = await connections.connect(5, live_logs.key(12), {}, TARGET)
        # The records writer publishes from its own thread.
        await asyncio.to_thread(live_logs.publish, _rows(5, 11, "hello live"))
        event_id, payload = await asyncio.wait_for(mine.queue.get(), 5)
        assert other.queue.empty()
    finally:
        await connections.stop()
    assert payload.startswith(b"data: ")
    entry = json.loads(payload.decode()[len("data: ") :])
    assert (entry["level"], entry["message"]) == ("INFO", "hello live")
    assert entry["time"].endswith("Z")


async def test_entries_of_another_tenant_with_the_same_script_key_do_not_arrive():
    connections = live_logs.hub()
    try:
        mine = await connections.connect(5, live_logs.key(11), {}, TARGET)
        await asyncio.to_thread(live_logs.publish, _rows(6, 11, "not yours"))
        await asyncio.to_thread(live_logs.publish, _rows(5, 11, "yours"))
        _, payload = await asyncio.wait_for(mine.queue.get(), 5)
    finally:
        await connections.stop()
    assert b"yours" in payload and b"not yours" not in payload


def test_entries_without_a_script_are_not_published(monkeypatch):
    sent = []
    monkeypatch.setattr(live_logs, "_deliver_here", lambda hubs, m: sent.append(m))
    monkeypatch.setattr(live_logs, "_send_to_redis", sent.append)
    monkeypatch.setattr(live_logs, "_watching_hubs", lambda: ["a panel"])
    live_logs.publish(_rows(5, None, "platform"))
    assert sent == []


def test_the_writer_publishes_entries_once_they_are_committed(
    db, cast, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(live_logs, "publish", published.append)
    writer = RecordBuffer()
    writer.add_logs(_rows(cast["acme"].id, None, "first", "second"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        writer.flush()
    assert published == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [[r["message"] for r in batch] for batch in published] == [
        ["first", "second"]
    ]


# -- who may watch (GET <script>/logs/live/) ---------------------------------------------


@pytest.fixture
def watched(upload):
    assert upload("watched", "function main() { console.log('x'); }").status_code == 201
    assert (
        upload(
            "theirs", "function main() {}", user="erin", host="globex.test"
        ).status_code
        == 201
    )
    return Script.objects.get(tenant__slug="acme", name="watched")


def _url(script):
    return f"/system/admin/scripts_app/script/{script.pk}/logs/live/"


def _staff(user, *codenames):
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="scripts_app", codename__in=codenames
        )
    )
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_someone_not_signed_in_is_sent_to_the_login(cast, watched):
    response = Client().get(_url(watched))
    assert response.status_code == 302
    assert response["Location"].startswith("/system/admin/login/?next=")


def test_a_member_who_is_not_staff_is_sent_to_the_login(cast, watched):
    client = Client()
    assert client.login(username="alice", password=PASSWORD)
    assert client.get(_url(watched)).status_code == 302


def test_another_tenants_script_is_not_found(cast, watched):
    client = _staff(cast["bob"], "view_script")
    theirs = Script.objects.get(tenant__slug="globex", name="theirs")
    assert client.get(_url(theirs)).status_code == 404


def test_a_grant_without_a_role_does_not_open_the_logs(cast, watched):
    # Logs follow tenant roles: a view grant on the script alone is not enough.
    assign_perm("view_script", cast["dave"], watched)
    client = _staff(cast["dave"])
    assert client.get(_url(watched)).status_code == 404


def test_a_missing_script_is_not_found(cast, watched):
    client = _staff(cast["bob"], "view_script")
    assert (
        client.get("/system/admin/scripts_app/script/999999/logs/live/").status_code
        == 404
    )


def test_entry_json_carries_fields_and_the_execution():
    row = {
        "level": "WARN",
        "message": "slow",
        "fields": {"ms": 900},
        "time": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "execution_id": "0b7e9f3c-0000-4000-8000-000000000001",
    }
    assert json.loads(live_logs.entry_json(row)) == {
        "level": "WARN",
        "message": "slow",
        "fields": {"ms": 900},
        "time": "2026-01-02T03:04:05Z",
        "executionId": "0b7e9f3c-0000-4000-8000-000000000001",
    }


def test_a_failure_to_publish_never_reaches_the_writer(monkeypatch, caplog):
    def broken(rows):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(live_logs, "_publish", broken)
    live_logs.publish(_rows(5, 11, "lost live, kept stored"))
    assert "Could not publish live log entries" in caplog.text
