"""The admin's "Run now" in headless Chromium: sign in, open a script, run main()."""

import pytest

from tests.e2e.servers import ADMIN_PASSWORD, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

SOURCE = """// @type one-off
async function main(context) {
  console.log("browser run by " + context.user.name);
  return {sum: context.args.a + context.args.b, by: context.execution.triggeredBy};
}

function boom() {
  throw new Error("boom from the browser");
}
"""


def test_run_now_in_the_admin_shows_value_logs_and_duration(
    server,
    chromium,  # noqa: F811 - the fixture imported above
):
    assert put_script(server, "browser-run", SOURCE).status_code in (200, 201)
    page = chromium.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")

    page.goto(f"{server.url}/system/admin/scripts_app/script/?q=browser-run")
    page.get_by_role("link", name="browser-run", exact=True).click()
    page.get_by_role("link", name="Run now").click()
    page.wait_for_url("**/run/")
    options = page.locator("#script_functions option")
    assert [options.nth(i).get_attribute("value") for i in range(options.count())] == [
        "main",
        "boom",
    ]
    page.fill("#id_args", '{"a": 2, "b": 40}')
    page.click("input[type=submit][value='Run now']")
    page.locator("#run_status").wait_for(timeout=15_000)

    assert page.inner_text("#run_status") == "ok"
    assert '"sum": 42' in page.inner_text("#run_value")
    assert '"by": "manual"' in page.inner_text("#run_value")
    assert "browser run by admin" in page.inner_text("#run_logs")
    assert float(page.inner_text("#run_duration")) >= 0

    page.fill("#id_handler", "boom")
    page.fill("#id_args", "")
    page.click("input[type=submit][value='Run now']")
    page.locator("#run_error").wait_for(timeout=15_000)
    assert page.inner_text("#run_status") == "error"
    assert "boom from the browser" in page.inner_text("#run_error")
    assert "browser-run.js:8:" in page.inner_text("#run_error")

    page.fill("#id_handler", "")
    page.fill("#id_args", "{not json")
    page.click("input[type=submit][value='Run now']")
    page.get_by_text("args is not valid JSON").wait_for(timeout=15_000)
    assert page.locator("#run_result").count() == 0
    assert problems == []
