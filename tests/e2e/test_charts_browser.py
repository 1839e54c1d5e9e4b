"""The execution charts in headless Chromium: a script's page and its tenant's dashboard.

The runs are written straight into the installation's database (a day of
them takes too long to make over HTTP), by the ORM in a manage.py process.
SCRIPTHOST_SCREENSHOTS=1 saves the chart as docs/images/chart.png (the README's).
"""

import subprocess
import sys

import pytest

from tests.e2e.screenshots import screenshot_path
from tests.e2e.servers import ADMIN_PASSWORD, ROOT, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

SOURCE = """
function orders(context) { return "ok"; }
routeRegistry.registerRoute("/charts-orders", "orders");
"""

# A day of runs of charts-orders, seeded: busier by day, slower and failing
# more now and then.
A_DAY_OF_RUNS = """
import random, uuid
from datetime import timedelta
from django.utils import timezone
from scripts_app.models import Execution
from tenants.models import Tenant

rng = random.Random(16)
tenant = Tenant.objects.get(slug="default")
now = timezone.now()
rows = []
for minute in range(5, 23 * 60):  # all well inside the 24 h
    busy = 1 + 3 * (minute % 720 > 300)
    for _ in range(rng.randint(0, busy)):
        bad = rng.random() < (0.25 if 900 < minute < 960 else 0.03)
        rows.append(Execution(
            id=uuid.uuid4(), tenant=tenant, script_name="charts-orders",
            kind="http", handler="orders", trigger="GET /charts-orders",
            status=rng.choice(["error", "error", "timeout"]) if bad else "ok",
            duration_ms=rng.lognormvariate(2.3 + (minute % 480) / 480, 0.6),
            started_at=now - timedelta(minutes=minute, seconds=rng.randint(0, 59)),
        ))
Execution.objects.bulk_create(rows)
print(len(rows))
"""


def test_charts_show_on_the_script_page_and_the_dashboard(
    server,
    installation,
    chromium,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    assert put_script(server, "charts-orders", SOURCE).status_code in (200, 201)
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", A_DAY_OF_RUNS],
        cwd=ROOT,
        env=installation.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    # The admin's CSS, as `make run` collects it (into the installation's var/).
    installation.manage("collectstatic", "--noinput", "--verbosity", "0")
    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")

    page.goto(f"{server.url}/system/admin/scripts_app/script/?q=charts-orders")
    page.get_by_role("link", name="charts-orders", exact=True).click()
    charts = page.locator("#execution-charts")
    charts.wait_for()
    assert page.locator("#execution-charts svg.exec-chart").count() == 3
    assert int(page.inner_text(".runs-total")) == int(made.stdout.split()[-1])
    assert page.locator("#execution-charts rect.s-error").count() > 0
    assert page.locator("#execution-charts polyline").count() >= 3
    shot = screenshot_path(tmp_path, "chart.png")
    charts.screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000

    page.goto(f"{server.url}/system/admin/tenants/tenant/?q=default")
    page.get_by_role("link", name="dashboard").first.click()
    page.locator("#execution-charts").wait_for()
    assert "Dashboard of tenant default" in page.content()
    assert int(page.inner_text(".runs-total")) >= int(made.stdout.split()[-1])
    assert problems == []
