"""An uploaded PNG served by registerAssetRoute loads in headless Chromium."""

import base64
from pathlib import Path

import pytest

from tests.assets_app.conftest import png
from tests.conftest import require_service
from tests.e2e.servers import put_script

pytestmark = pytest.mark.server

CHROMIUM = Path("/usr/bin/chromium")
PAGE = """
function page(c) {
  return ResponseBuilder.html(
    '<!doctype html><title>logo</title><img id="logo" src="/browser-assets/logo.png">'
  );
}
routeRegistry.registerRoute("/browser-assets/page", "page", "GET");
routeRegistry.registerAssetRoute("/browser-assets/logo.png", "browser/logo.png");
"""


@pytest.fixture
def chromium():
    require_service("Chromium (/usr/bin/chromium)", CHROMIUM.exists())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def test_an_asset_route_image_loads_in_the_browser(server, chromium):
    image = png(24, 16, (20, 120, 220))
    assert put_script(server, "browser-assets", PAGE).status_code == 201
    with server.client() as client:
        stored = client.post(
            "/system/api/assets",
            json={
                "name": "browser/logo.png",
                "content": base64.b64encode(image).decode(),
                "mimetype": "image/png",
            },
            headers=server.auth,
        )
    assert stored.status_code == 201, stored.text

    page = chromium.new_page()
    page.goto(f"{server.url}/browser-assets/page", wait_until="load")
    size = page.evaluate(
        "() => { const i = document.getElementById('logo');"
        " return [i.complete, i.naturalWidth, i.naturalHeight]; }"
    )

    assert size == [True, 24, 16]
