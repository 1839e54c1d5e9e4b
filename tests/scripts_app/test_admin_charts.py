"""The charts on a script's admin page and on the tenant dashboard, per tenant."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from scripts_app.models import Execution, Script
from tests.cast import PASSWORD

DASHBOARD = "/system/admin/scripts_app/execution/dashboard/"


def ran(tenant, status, ms, name="hello"):
    Execution.objects.create(
        id=uuid.uuid4(),
        tenant=tenant,
        script_name=name,
        kind="http",
        status=status,
        duration_ms=ms,
        started_at=timezone.now() - timedelta(minutes=3),
    )


@pytest.fixture
def runs(cast, upload):
    upload("hello", "var x = 1;\n")
    upload("theirs", "var y = 1;\n", user="erin", host="globex.test")
    ran(cast["acme"], "ok", 12.5)
    ran(cast["acme"], "error", 40.0)
    ran(cast["globex"], "timeout", 5000.0, name="theirs")
    return cast


def login(user, cast=None) -> Client:
    client = Client()
    assert client.login(username=user, password=PASSWORD)
    return client


def staff(user, *codenames):
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_script_page_shows_its_charts_as_inline_svg(runs):
    script = Script.objects.get(name="hello")
    page = login("root").get(f"/system/admin/scripts_app/script/{script.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="execution-charts"' in html
    assert html.count('class="exec-chart"') == 3
    assert '<td class="runs-total">2</td>' in html
    assert '<td class="error-rate">50.0%</td>' in html
    assert '<td class="p95">40.0 ms</td>' in html
    assert 'class="s-error"' in html and 'class="s-timeout"' not in html


def test_dashboard_shows_the_charts_of_the_chosen_tenant_only(runs):
    client = login("root")

    acme = client.get(DASHBOARD, {"tenant": "acme"}).content.decode()
    globex = client.get(DASHBOARD, {"tenant": "globex"}).content.decode()

    assert '<td class="runs-total">2</td>' in acme
    assert "Runs of the 1 script(s) of tenant <strong>acme</strong>" in acme
    assert 'class="status-timeout"' not in acme and 'class="s-timeout"' not in acme
    assert 'class="status-timeout"' in globex
    assert '<td class="runs-total">1</td>' in globex
    assert '<td class="p50">5.00 s</td>' in globex


def test_a_tenant_owner_sees_only_their_tenants_dashboard(runs):
    staff(runs["erin"], "view_execution")
    client = login("erin")

    own = client.get(DASHBOARD)
    other = client.get(DASHBOARD, {"tenant": "acme"})

    assert own.status_code == 200
    assert "Dashboard of tenant globex" in own.content.decode()
    assert '<option value="acme"' not in own.content.decode()
    assert other.status_code == 404


def test_the_dashboard_needs_a_role_in_the_tenant(runs):
    # Admin rights come from tenant roles (scripts_app.policy), not from
    # Django's model permissions: a viewer reads executions, no role reads none.
    staff(runs["dave"], "view_execution")  # no role anywhere
    assert login("dave").get(DASHBOARD, {"tenant": "acme"}).status_code == 404
    staff(runs["charlie"])  # a viewer in acme
    seen = login("charlie").get(DASHBOARD, {"tenant": "acme"})
    assert seen.status_code == 200
    assert "Dashboard of tenant acme" in seen.content.decode()
    assert login("charlie").get(DASHBOARD, {"tenant": "globex"}).status_code == 404
    anonymous = Client().get(DASHBOARD)
    assert anonymous.status_code == 302


def test_dashboard_is_linked_from_the_tenant_list_and_page(runs):
    client = login("root")
    listing = client.get("/system/admin/tenants/tenant/").content.decode()
    page = client.get(
        f"/system/admin/tenants/tenant/{runs['acme'].pk}/change/"
    ).content.decode()
    assert f'href="{DASHBOARD}?tenant=acme"' in listing
    assert f'href="{DASHBOARD}?tenant=acme"' in page
