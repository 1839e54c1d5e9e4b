"""Helpers for the dispatcher tests: upload scripts, call routes, read results."""

import json

from scripts_app.models import Execution, LogEntry
from storage_app.models import StoredItem


def put(upload, name, source, host="acme.test"):
    """Upload `source` as `name`; fail the test if it is refused."""
    owner = "erin" if host == "globex.test" else "alice"
    response = upload(name, source, user=owner, host=host)
    assert response.status_code in (200, 201), response.content
    return response


def shared(tenant, script, key):
    """The sharedStorage value `script` keeps under `key`, or None."""
    item = StoredItem.objects.filter(
        tenant=tenant, namespace=f"shared:{script}", key=key
    ).first()
    return None if item is None else item.value


def shared_json(tenant, script, key):
    value = shared(tenant, script, key)
    return None if value is None else json.loads(value)


def listener_runs(script=None):
    runs = Execution.objects.filter(kind="listener")
    if script:
        runs = runs.filter(script_name=script)
    return runs


def logs(script, level=None):
    entries = LogEntry.objects.filter(script_name=script)
    if level:
        entries = entries.filter(level=level)
    return entries
