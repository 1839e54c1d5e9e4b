"""docs/operations.md documents every setting config/settings.py reads."""

import re

from tests.e2e.servers import ROOT

SETTINGS = (ROOT / "config" / "settings.py").read_text()
GUIDE = (ROOT / "docs" / "operations.md").read_text()


def test_every_environment_variable_of_the_settings_is_documented():
    names = set(
        re.findall(
            r"""(?:env\w*\(|environ(?:\.get\(|\[))\s*["']([A-Z][A-Z0-9_]+)["']""",
            SETTINGS,
        )
    )

    assert len(names) > 10, names
    assert sorted(n for n in names if f"`{n}`" not in GUIDE) == []


def test_every_scripts_setting_is_documented():
    block = SETTINGS[SETTINGS.index("SCRIPTS = {") :]
    block = block[: block.index("\n}\n")]
    keys = set(re.findall(r'^    "([A-Z_]+)":', block, re.M))
    limits = set(re.findall(r'^        "([a-z-]+)": \(', block, re.M))

    assert {"VM_POOL_SIZE", "LIMITS"} <= keys
    assert (
        sorted(k for k in keys if f"`{k}`" not in GUIDE and f'`{k}["' not in GUIDE)
        == []
    )
    assert sorted(k for k in limits if f'`LIMITS["{k}"]`' not in GUIDE) == []
