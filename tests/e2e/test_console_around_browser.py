"""Around a script in headless Chromium: diff and roll back, the run panel, live logs.

With SCRIPTHOST_SCREENSHOTS=1 the diff and the run panel's result are saved as
docs/images/diff.png and docs/images/run-panel.png (the README's tour shows
them); otherwise the screenshots go to a temporary folder.
"""

from pathlib import Path

import pytest

from tests.e2e.screenshots import screenshot_path
from tests.e2e.servers import ADMIN_PASSWORD, poll, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

ONE = """// Greets the caller.
function greet(c) {
  return ResponseBuilder.text("hello, version one");
}
routeRegistry.registerRoute("/browser-versions", "greet", "GET");
"""
TWO = """// Greets the caller, by name when given one.
function greet(c) {
  const name = c.request.query.name;
  if (name) {
    return ResponseBuilder.text("hello " + name + ", version two");
  }
  return ResponseBuilder.text("hello, version two");
}
routeRegistry.registerRoute("/browser-versions", "greet", "GET");
"""
RUN = """/** A one-off report. */
async function main(context) {
  console.info("counting " + context.args.items.length + " items");
  return {count: context.args.items.length, first: context.args.items[0]};
}

function noisy(c) {
  console.warn("not this one");
}
"""
LIVE = """
function tail(c) {
  console.info("a quiet info line");
  console.warn("a live warning: " + c.request.query.text);
  return ResponseBuilder.text("logged");
}
routeRegistry.registerRoute("/browser-live/tail", "tail", "GET");
"""


@pytest.fixture(scope="module")
def static_files(installation):
    # What `make run` does before serving: the panels' CSS and JS come from /static/.
    installation.manage("collectstatic", "--noinput", "--verbosity", "0")


@pytest.fixture
def admin_page(server, chromium, static_files):  # noqa: F811 - chromium: imported
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")
    yield page
    page.close()


def _screenshot(tmp_path, name: str) -> Path:
    return screenshot_path(tmp_path, name)


def _open_script(page, server, name: str) -> None:
    page.goto(f"{server.url}/system/admin/scripts_app/script/?q={name}")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url("**/change/**")


def _answer(server, path, **params) -> str:
    with server.client() as client:
        return client.get(path, params=params).text


def test_diff_two_versions_and_roll_back(server, admin_page, tmp_path):
    page = admin_page
    assert put_script(server, "browser-versions", ONE).status_code in (200, 201)
    assert put_script(server, "browser-versions", TWO).status_code == 200
    assert _answer(server, "/browser-versions") == "hello, version two"

    _open_script(page, server, "browser-versions")
    page.locator("#around_links").get_by_role("link", name="Versions").click()
    page.wait_for_url("**/versions/")
    page.click("#compare")
    page.wait_for_url("**/versions/diff/?*")

    diff = page.locator("#diff")
    assert "v2 (current)" in diff.locator("thead").text_content()
    changed = diff.locator("tr.replace, tr.insert, tr.delete")
    assert changed.count() >= 4
    right = diff.locator("tr.insert td.code.right, tr.replace td.code.right")
    # The code keeps its indentation (white-space: pre-wrap, nothing trimmed).
    texts = right.all_inner_texts()
    assert (
        '    return ResponseBuilder.text("hello " + name + ", version two");' in texts
    )
    assert "  const name = c.request.query.name;" in texts
    page.locator("#content").screenshot(path=str(_screenshot(tmp_path, "diff.png")))

    page.click("#rollback_left")
    page.wait_for_url("**/change/**")
    assert "it is now version 3" in page.locator(".messagelist").inner_text()
    answer, _ = poll(
        lambda: _answer(server, "/browser-versions", name="Ann"),
        lambda text: text == "hello, version one",
        within=10,
    )
    assert answer == "hello, version one"
    assert page.problems == []


def test_run_a_handler_from_the_script_page(server, admin_page, tmp_path):
    page = admin_page
    assert put_script(server, "browser-panel", RUN).status_code in (200, 201)
    _open_script(page, server, "browser-panel")

    panel = page.locator("#run_panel")
    assert panel.locator("option").all_inner_texts() == ["main()", "noisy()"]
    panel.locator("#run_panel_handler").select_option("main")
    panel.locator("#run_panel_args").fill('{"items": ["apple", "pear", "plum"]}')
    panel.locator("#run_panel_submit").click()
    page.locator("#run_status").wait_for(timeout=15_000)

    assert page.inner_text("#run_status") == "ok"
    assert '"count": 3' in page.inner_text("#run_value")
    assert '"first": "apple"' in page.inner_text("#run_value")
    assert "counting 3 items" in page.inner_text("#run_logs")
    assert float(page.inner_text("#run_duration")) >= 0
    page.locator("#content").screenshot(
        path=str(_screenshot(tmp_path, "run-panel.png"))
    )
    assert page.problems == []


def test_watch_a_log_line_appear_live(server, admin_page):
    page = admin_page
    assert put_script(server, "browser-live", LIVE).status_code in (200, 201)
    _open_script(page, server, "browser-live")
    page.wait_for_selector("#live_logs[data-state=live]", timeout=15_000)

    assert _answer(server, "/browser-live/tail", text="first") == "logged"
    lines = page.locator("#live_logs_lines")
    warning = lines.locator("tr", has_text="a live warning: first")
    warning.wait_for(timeout=15_000)
    assert warning.locator(".live-level-name").inner_text() == "WARN"
    info = lines.locator("tr", has_text="a quiet info line").first
    assert info.is_visible()

    # Level filters: untick INFO, and only the warnings stay.
    page.locator("#live_logs input.live-level[value=INFO]").uncheck()
    assert not info.is_visible()
    assert warning.is_visible()
    assert _answer(server, "/browser-live/tail", text="second") == "logged"
    second = lines.locator("tr", has_text="a live warning: second")
    second.wait_for(timeout=15_000)
    hidden = lines.locator("tr[data-level=INFO]")
    assert hidden.count() == 2
    assert not any(hidden.nth(i).is_visible() for i in range(hidden.count()))
    assert page.problems == []
