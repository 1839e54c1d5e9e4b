"""A page's EventSource in headless Chromium receives a message a script sends."""

import json

import pytest

from tests.e2e.servers import put_script
from tests.e2e.test_asset_route_browser import chromium  # noqa: F401 - a fixture

pytestmark = pytest.mark.server

PAGE = """
routeRegistry.registerStreamRoute("/browser-news");

function page(c) {
  return ResponseBuilder.html(`<!doctype html><title>news</title>
<ul id="news"></ul>
<script>
  window.received = [];
  window.opened = false;
  const source = new EventSource("/browser-news");
  source.onopen = () => { window.opened = true; };
  source.onmessage = (event) => {
    const item = JSON.parse(event.data);
    window.received.push({ id: event.lastEventId, item: item });
    const li = document.createElement("li");
    li.textContent = item.headline;
    document.getElementById("news").appendChild(li);
  };
</script>`);
}

function publish(c) {
  return routeRegistry.sendStreamMessage("/browser-news", {
    headline: c.request.query.headline,
  });
}

routeRegistry.registerRoute("/browser-news/page", "page", "GET");
routeRegistry.registerRoute("/browser-news/publish", "publish", "POST");
"""


def test_an_event_source_in_the_browser_receives_a_stream_message(
    server,
    chromium,  # noqa: F811 - the fixture imported above
):
    assert put_script(server, "browser-news", PAGE).status_code in (200, 201)
    page = chromium.new_page()
    try:
        page.goto(f"{server.url}/browser-news/page", wait_until="load")
        page.wait_for_function("() => window.opened === true", timeout=10_000)
        with server.client() as client:
            sent = client.post(
                "/browser-news/publish", params={"headline": "Streams work"}
            )
        assert sent.status_code == 200, sent.text
        page.wait_for_function("() => window.received.length > 0", timeout=10_000)
        received = page.evaluate("() => JSON.stringify(window.received)")
        shown = page.inner_text("#news")
    finally:
        page.close()

    [message] = json.loads(received)
    assert message["item"] == {"headline": "Streams work"}
    assert int(message["id"]) > 0
    assert shown == "Streams work"
