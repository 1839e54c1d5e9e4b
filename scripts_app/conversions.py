"""Markdown to HTML for scripts' `convert.markdown_to_html` (the host side).

The HTML is meant to be embedded in pages other people open, so the input is
treated as untrusted: raw HTML in the Markdown is escaped (shown as text, never
interpreted) and links or images whose URL would run code (`javascript:`,
`vbscript:`, `data:` other than images) lose that URL.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import threading

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

log = logging.getLogger(__name__)

MAX_MARKDOWN_BYTES = 1024 * 1024
# Larger documents are converted in a worker thread: a long conversion on the
# event loop would hold up every other request this process serves.
INLINE_BYTES = 16 * 1024

_LINK_SCHEMES = {"http", "https", "mailto", "tel", "ftp"}
_IMAGE_SCHEMES = {"http", "https"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Browsers drop these anywhere in a URL before reading its scheme.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")
_IMAGE_DATA = re.compile(r"data:image/(?:png|gif|jpeg|webp);", re.I)


def url_is_safe(url: str, image: bool = False) -> bool:
    """Return True when following (or loading) url cannot run script code."""
    text = _IGNORED_IN_URL.sub("", html.unescape(url))
    match = _SCHEME.match(text)
    if match is None:
        return True  # relative: same site, a path, a query or a fragment
    scheme = match.group(1).lower()
    if image:
        return scheme in _IMAGE_SCHEMES or bool(_IMAGE_DATA.match(text))
    return scheme in _LINK_SCHEMES


class _SafeUrls(Treeprocessor):
    def run(self, root):
        for element in root.iter():
            for attribute, image in (("href", False), ("src", element.tag == "img")):
                value = element.get(attribute)
                if value is not None and not url_is_safe(value, image):
                    del element.attrib[attribute]


class _Untrusted(Extension):
    """Escape raw HTML and drop URLs that would run code."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Last, after 'unescape' (0): it sees the URLs as they will be written.
        md.treeprocessors.register(_SafeUrls(md), "safe_urls", -10)


def _build() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "footnotes",
            "sane_lists",
            "pymdownx.tilde",
            "pymdownx.tasklist",
            _Untrusted(),
        ],
        extension_configs={
            # ~~x~~ is strikethrough; a single ~ stays a tilde (GitHub does the same).
            "pymdownx.tilde": {"subscript": False},
        },
        output_format="html",
    )


_local = threading.local()


def render(text: str) -> str:
    """Convert Markdown to HTML with this thread's converter (they are not thread-safe)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = _build()
    try:
        return converter.reset().convert(text)
    except Exception:
        # A converter that failed half-way may hold state; start the next one afresh.
        _local.converter = None
        raise


async def markdown_to_html(text) -> str:
    """Return the HTML for text, or a string starting with "Error:" (as the seed says)."""
    if not isinstance(text, str):
        return f"Error: markdown_to_html expects a string, got {type(text).__name__}"
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_MARKDOWN_BYTES:
        return f"Error: markdown is larger than 1 MB ({size} bytes)"
    try:
        if size <= INLINE_BYTES:
            return render(text)
        return await asyncio.to_thread(render, text)
    except Exception:
        log.exception("Markdown conversion failed")
        return "Error: the markdown could not be converted"
