"""The script editor in headless Chromium: a typed syntax error is refused and
marked at its line, the live version keeps serving, and the fix goes live.

Also: the host API completions from scripthost.d.ts, and the template picker.
The first test takes editor.png, the editor showing the error (into
docs/images/ with SCRIPTHOST_SCREENSHOTS=1: tests/e2e/screenshots.py).
"""

import pytest

from tests.e2e.screenshots import screenshot_path
from tests.e2e.servers import ADMIN_PASSWORD, poll, put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture
from tests.e2e.test_graphiql_browser import static_files  # noqa: F401 - a fixture

pytestmark = pytest.mark.server


SOURCE = """// The editor's browser test: GET /editor-probe answers the version.
// Line 4 is the one the test breaks, then fixes.

const VERSION = 1;

function probe(context) {
  return "version " + VERSION;
}

routeRegistry.registerRoute("/editor-probe", "probe", "GET");
"""


def sign_in(page, server):
    page.goto(f"{server.url}/system/admin/login/?next=/system/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/system/admin/")


def open_script(page, server, name):
    page.goto(f"{server.url}/system/admin/scripts_app/script/?q={name}")
    page.get_by_role("link", name=name, exact=True).click()
    page.locator(".cm-editor[data-ready=true]").wait_for(timeout=15_000)


def replace_line(page, number, text):
    """Put the cursor on line `number` with the keyboard and type over it."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    for _ in range(number - 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    page.keyboard.type(text)
    page.keyboard.press("Escape")  # close a completion list the typing opened


def marked_line(page) -> int:
    """The line (1-based) of the editor line that holds the error mark."""
    page.locator(".cm-lintRange-error").first.wait_for(timeout=15_000)
    return page.evaluate(
        """() => {
          const mark = document.querySelector(".cm-lintRange-error");
          const lines = [...document.querySelectorAll(".cm-content .cm-line")];
          return lines.indexOf(mark.closest(".cm-line")) + 1;
        }"""
    )


def take_screenshot(page, tmp_path):
    """editor.png (docs/images/ with SCRIPTHOST_SCREENSHOTS=1): the page from
    its title to below the editor."""
    content = page.locator("#content").bounding_box()
    editor = page.locator(".cm-editor").bounding_box()
    bottom = editor["y"] + editor["height"] + 24
    page.screenshot(
        path=str(screenshot_path(tmp_path, "editor.png")),
        clip={
            "x": content["x"],
            "y": content["y"],
            "width": content["width"],
            "height": bottom - content["y"],
        },
    )


def route_answer(server) -> str:
    with server.client() as client:
        return client.get("/editor-probe").text


def test_a_typed_syntax_error_is_marked_and_the_fix_goes_live(
    server,
    chromium,  # noqa: F811 - the fixture imported above
    static_files,  # noqa: F811
    tmp_path,
):
    assert put_script(server, "editor-probe", SOURCE).status_code in (200, 201)
    assert route_answer(server) == "version 1"
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    problems, requested = [], []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requested.append(r.url))
    sign_in(page, server)
    open_script(page, server, "editor-probe")
    # The editor replaced the textarea, with line numbers and highlighting.
    assert page.locator("textarea[name=source]").is_hidden()
    assert page.locator(".cm-lineNumbers").is_visible()
    assert page.locator(".cm-content .tok-keyword, .cm-content span[class]").count()

    replace_line(page, 4, "const VERSION = ;")
    page.keyboard.press("Control+s")  # saves as "Save and continue editing"
    page.locator(".errornote").wait_for(timeout=15_000)

    assert "line 4, column 17" in page.inner_text(".errorlist")
    assert marked_line(page) == 4
    assert page.inner_text(".cm-lintRange-error") == ";"  # the column's token
    assert page.locator(".cm-gutter-lint .cm-lint-marker-error").count() == 1
    page.hover(".cm-lintRange-error")  # the message, next to the mark
    page.locator(".cm-tooltip-lint").wait_for(timeout=10_000)
    assert "Unexpected token" in page.inner_text(".cm-tooltip-lint")
    take_screenshot(page, tmp_path)
    # Refused: the live version still answers.
    assert route_answer(server) == "version 1"

    replace_line(page, 4, "const VERSION = 2;")
    page.keyboard.press("Control+s")
    page.locator(".messagelist .success").wait_for(timeout=15_000)
    assert page.locator(".cm-lintRange-error").count() == 0
    answer, _ = poll(lambda: route_answer(server), lambda a: a == "version 2", 10)
    assert answer == "version 2"
    assert problems == []
    # Everything the editor needs comes from the server itself (no CDN).
    assert [url for url in requested if not url.startswith(server.url)] == []
    assert any(url.endswith("/editor/completions.json") for url in requested)


def test_the_editor_completes_host_apis_and_starts_from_a_template(
    server,
    chromium,  # noqa: F811
    static_files,  # noqa: F811
):
    page = chromium.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, server)
    page.goto(f"{server.url}/system/admin/scripts_app/script/add/")
    page.locator(".cm-editor[data-ready=true]").wait_for(timeout=15_000)

    page.select_option("#scripthost-template", "route")
    assert page.inner_text(".cm-content").startswith("// A route")
    assert "routeRegistry.registerRoute" in page.input_value("textarea[name=source]")

    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("routeRegistry.registerStr")
    # The list follows the typing: wait until it has narrowed to the stream call.
    page.wait_for_function(
        """() => {
          const first = document.querySelector(".cm-tooltip-autocomplete li");
          return first && first.textContent.startsWith("registerStreamRoute");
        }""",
        timeout=10_000,
    )
    detail = page.inner_text(".cm-tooltip-autocomplete li[aria-selected]")
    assert "(path: string, customizerHandlerName?: string)" in detail  # the .d.ts
    page.click(".cm-tooltip-autocomplete li[aria-selected]")  # take it
    assert "routeRegistry.registerStreamRoute" in page.input_value(
        "textarea[name=source]"
    )
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("utils.date.add")  # a member of a member
    page.locator(".cm-tooltip-autocomplete li", has_text="addDays").wait_for(
        timeout=10_000
    )
    assert problems == []


def test_the_type_definitions_and_the_editor_are_served_as_static_files(
    server,
    static_files,  # noqa: F811
):
    with server.client() as client:
        dts = client.get("/static/scripthost/scripthost.d.ts")
        completions = client.get("/static/scripthost/editor/completions.json")
        bundle = client.get("/static/scripthost/editor/editor.js")
        licences = client.get("/static/scripthost/editor/THIRD_PARTY_LICENSES.txt")
    assert dts.status_code == 200
    assert "declare const routeRegistry: RouteRegistry;" in dts.text
    assert "registerRoute" in completions.json()["globals"]["routeRegistry"]["members"]
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert "@codemirror/view" in licences.text
