"""Who sets a script's flags in the admin: privileged superusers, capabilities owners."""

import pytest
from django.test import Client

from scripts_app.models import Script
from tests.cast import PASSWORD

SOURCE = "function main() { return 1; }\n"


@pytest.fixture
def script(upload, cast):
    assert upload("flags", SOURCE).status_code == 201
    return Script.objects.get(name="flags")


def _post_flags(name, cast, script):
    user = cast[name]
    user.is_staff = True
    user.save()
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    response = client.post(
        f"/system/admin/scripts_app/script/{script.pk}/change/",
        {
            "source": SOURCE,
            "enabled": "on",
            "privileged": "on",
            "capabilities": ["ReadAssets"],
            "routes-TOTAL_FORMS": "0",
            "routes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    script.refresh_from_db()
    return script.privileged, script.capabilities


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("bob", (False, [])),  # developer: neither
        ("alice", (False, ["ReadAssets"])),  # owner: capabilities, as over REST
        ("root", (True, ["ReadAssets"])),  # superuser: both
    ],
)
def test_a_forged_post_sets_only_the_flags_the_user_may_set(cast, script, name, flags):
    assert _post_flags(name, cast, script) == flags
