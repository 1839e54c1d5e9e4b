"""/system/messages: list (filters, paging), get, delete; writing and retention."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from triggers_app import messages
from triggers_app.models import SystemMessage

pytestmark = pytest.mark.django_db


def report(
    tenant, request_id, phase="preProcessing", script="s1", trigger="t1", text="hi"
):
    return messages.report(
        tenant,
        request_id,
        "POST",
        "/store/assets",
        phase,
        {
            "trigger": f"/system/triggers/{trigger}",
            "script": f"/system/scripts/{script}",
            "timeElapsedMs": 3,
            "messages": [text],
        },
    )


def test_reports_of_one_request_gather_in_one_message(api, cast):
    report(cast["acme"], "r1", text="cancelled")
    report(cast["acme"], "r1", phase="postProcessing", script="s2", trigger="t2")

    listed = api("charlie").get("/system/messages").json()

    assert len(listed) == 1
    message = listed[0]
    assert message["request"] == {"id": "r1", "method": "POST", "url": "/store/assets"}
    assert message["preProcessing"] == [
        {
            "trigger": "/system/triggers/t1",
            "script": "/system/scripts/s1",
            "timeElapsedMs": 3,
            "messages": ["cancelled"],
        }
    ]
    assert [r["script"] for r in message["postProcessing"]] == ["/system/scripts/s2"]


def test_get_and_delete_one(api, cast):
    message = report(cast["acme"], "r1")

    got = api("charlie").get(f"/system/messages/{message.id}")
    viewer_delete = api("charlie").delete(f"/system/messages/{message.id}")
    deleted = api("bob").delete(f"/system/messages/{message.id}")

    assert got.json()["uri"] == f"/system/messages/{message.id}"
    assert viewer_delete.status_code == 403
    assert deleted.status_code == 204
    assert api("bob").get(f"/system/messages/{message.id}").status_code == 404
    assert api("bob").get("/system/messages/not-a-uuid").status_code == 404


def test_list_filters_and_paging(api, cast):
    for i in range(5):
        report(
            cast["acme"],
            f"r{i}",
            script="even" if i % 2 == 0 else "odd",
            trigger=f"t{i}",
        )

    by_script = api("charlie").get("/system/messages?script=odd")
    by_trigger = api("charlie").get("/system/messages?trigger=/system/triggers/t3")
    by_request = api("charlie").get("/system/messages?requestId=r2")
    page = api("charlie").get("/system/messages?limit=2&offset=1")
    bad = api("charlie").get("/system/messages?since=yesterday")

    assert sorted(m["request"]["id"] for m in by_script.json()) == ["r1", "r3"]
    assert by_script["X-Total-Count"] == "2"
    assert [m["request"]["id"] for m in by_trigger.json()] == ["r3"]
    assert [m["request"]["id"] for m in by_request.json()] == ["r2"]
    assert len(page.json()) == 2 and page["X-Total-Count"] == "5"
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["error"]["message"]


def test_tenants_see_only_their_messages(api, cast):
    mine = report(cast["acme"], "r1")
    report(cast["globex"], "r1")

    acme = api("charlie").get("/system/messages").json()
    globex_reads_acme = api("erin", host="globex.test").get(
        f"/system/messages/{mine.id}"
    )

    assert [m["id"] for m in acme] == [str(mine.id)]
    assert globex_reads_acme.status_code == 404


def test_retention_by_age_and_by_count(cast, settings):
    settings.SCRIPTS = {
        **settings.SCRIPTS,
        "SYSTEM_MESSAGES_MAX_AGE_DAYS": 7,
        "SYSTEM_MESSAGES_MAX_PER_TENANT": 3,
    }
    old = report(cast["acme"], "old")
    SystemMessage.objects.filter(id=old.id).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    for i in range(5):
        report(cast["acme"], f"r{i}")
        SystemMessage.objects.filter(request_id=f"r{i}").update(
            created_at=timezone.now() - timedelta(minutes=10 - i)
        )
    kept_globex = report(cast["globex"], "g")

    call_command("prune_system_messages")

    acme = SystemMessage.objects.filter(tenant=cast["acme"])
    assert sorted(acme.values_list("request_id", flat=True)) == ["r2", "r3", "r4"]
    assert SystemMessage.objects.filter(id=kept_globex.id).exists()


def test_a_reports_messages_are_capped(cast):
    message = messages.report(
        cast["acme"],
        "r",
        "POST",
        "/store/a",
        "preProcessing",
        {"messages": ["x" * 10_000] * 500},
    )

    (entry,) = message.pre_processing
    assert len(entry["messages"]) == messages.MAX_MESSAGES_PER_REPORT
    assert len(entry["messages"][0]) == messages.MAX_MESSAGE_CHARS
