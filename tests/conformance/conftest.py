"""The conformance suite's marker and report.

`@conforms("api", ...)` names the seed APIs a test shows conforming. With
CONFORMANCE_REPORT=<path> (`make conformance`), the outcome of every such test
is written there as JSON, for tests/conformance/report.py to turn into
docs/conformance.md.
"""

import json
import os

import pytest

_outcomes: dict[str, list[dict]] = {}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "conforms(*apis): the seed APIs this conformance test shows"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("conforms")
    if marker is None:
        return
    failed = report.failed
    if report.when == "call" or failed:
        for api in marker.args:
            runs = _outcomes.setdefault(api, [])
            runs.append({"test": item.nodeid, "passed": report.passed and not failed})


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("CONFORMANCE_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump(_outcomes, out, indent=1, sort_keys=True)
