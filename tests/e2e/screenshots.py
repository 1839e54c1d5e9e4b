"""Where a browser test saves a picture of a page.

The README's tour and the guides show pictures taken by the browser tests
(docs/images/). A test run leaves the committed ones alone: only with
SCRIPTHOST_SCREENSHOTS=1 does a picture go to docs/images/<name>, else to the
test's temporary folder (taken all the same, so taking it is tested).

    SCRIPTHOST_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e -k browser
"""

import os
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """docs/images/<name> with SCRIPTHOST_SCREENSHOTS=1, else tmp_path/<name>."""
    folder = IMAGES if os.environ.get("SCRIPTHOST_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
