"""convert.markdown_to_html renders the seed's Markdown features, safely, as a Promise."""

import json

import pytest

from scripts_app.conversions import render, url_is_safe
from tests.scripts_app.test_routing_http import Caller

SOURCE = """\
async function page(context) {
  const html = await convert.markdown_to_html(context.request.body);
  if (html.startsWith("Error:")) return { status: 400, body: html };
  return ResponseBuilder.html(html);
}
async function odd(context) {
  const value = JSON.parse(context.request.body).value;
  return { body: { result: await convert.markdown_to_html(value) } };
}
function pending(context) {
  const p = convert.markdown_to_html("# x");
  return { body: { isPromise: p instanceof Promise, html: p } };
}
async function huge(context) {
  const size = Number(context.request.query.kb) * 1024;
  return { body: { result: (await convert.markdown_to_html("é".repeat(size / 2))).slice(0, 60) } };
}
routeRegistry.registerRoute("/md", "page", "POST");
routeRegistry.registerRoute("/md/odd", "odd", "POST");
routeRegistry.registerRoute("/md/pending", "pending", "GET");
routeRegistry.registerRoute("/md/huge", "huge", "GET");
"""

DOCUMENT = """\
# Release notes

Some **bold**, *italic*, ~~struck~~ and `inline code`.

```javascript
const greeting = "hello";
```

| Left | Centre | Right |
|:-----|:------:|------:|
| a    | b      | c     |

- item
    - nested

1. first
2. second

> quoted

- [ ] open task
- [x] done task

[docs](https://example.com/docs) ![logo](/static/logo.png)

A claim.[^source]

[^source]: Where it comes from.
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def send(upload):
    response = upload("markdown", SOURCE)
    assert response.status_code == 201, response.content
    return Caller("fast path")


async def test_markdown_renders_every_feature_the_seed_lists(send):
    r = await send("POST", "/md", body=DOCUMENT.encode())

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    for fragment in [
        "<h1>Release notes</h1>",
        "<strong>bold</strong>",
        "<em>italic</em>",
        "<del>struck</del>",
        "<code>inline code</code>",
        '<code class="language-javascript">const greeting = &quot;hello&quot;;',
        '<th style="text-align: left;">Left</th>',
        '<th style="text-align: center;">Centre</th>',
        '<td style="text-align: right;">c</td>',
        "<li>nested</li>",
        "<ol>\n<li>first</li>",
        "<blockquote>\n<p>quoted</p>",
        '<input type="checkbox" disabled/> open task',
        '<input type="checkbox" disabled checked/> done task',
        '<a href="https://example.com/docs">docs</a>',
        '<img alt="logo" src="/static/logo.png">',
        '<a class="footnote-ref" href="#fn:source">1</a>',
        "Where it comes from.",
    ]:
        assert fragment in html, fragment


async def test_raw_html_is_shown_as_text_not_run(send):
    body = '<script>alert(1)</script>\n\nHi <img src=x onerror="alert(2)"> there'

    r = await send("POST", "/md", body=body.encode())

    assert "<script>" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "Hi &lt;img src=x onerror=" in r.text


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        "![x](javascript:alert(1))",
    ],
)
def test_urls_that_would_run_code_are_dropped(markdown):
    html = render(markdown)

    assert "href" not in html and "src" not in html
    assert ">x</a>" in html or 'alt="x"' in html


@pytest.mark.parametrize(
    ("url", "image"),
    [
        ("https://example.com/a?b#c", False),
        ("/relative/path", False),
        ("#section", False),
        ("mailto:ada@example.com", False),
        ("page.html?next=javascript:x", False),
        ("data:image/png;base64,iVBORw0KGgo=", True),
    ],
)
def test_ordinary_urls_are_kept(url, image):
    assert url_is_safe(url, image)


async def test_non_string_input_resolves_to_an_error_string(send):
    for value in [None, 42, {"a": 1}]:
        r = await send("POST", "/md/odd", body=json.dumps({"value": value}).encode())

        assert r.status_code == 200
        assert r.json()["result"].startswith("Error: markdown_to_html expects a string")


async def test_input_over_one_megabyte_of_utf8_resolves_to_an_error_string(send):
    # 512 Ki two-byte characters are exactly 1 MiB; one KiB more is too much.
    ok = await send("GET", "/md/huge?kb=1024")
    too_big = await send("GET", "/md/huge?kb=1026")

    assert ok.json()["result"].startswith("<p>éé")
    assert too_big.json()["result"].startswith("Error: markdown is larger than 1 MB")


async def test_markdown_to_html_returns_the_html_directly(send):
    r = await send("GET", "/md/pending")

    assert r.json() == {"isPromise": False, "html": "<h1>x</h1>"}
