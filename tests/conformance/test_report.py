"""docs/conformance.md says what the suite's outcomes say, for every seed API."""

from tests.conformance.apis import all_apis
from tests.conformance.report import render


def test_every_api_gets_the_status_its_tests_earned():
    apis = [a for a in all_apis() if not a.not_built and not a.deviates]
    passed, failed, untested = apis[0], apis[1], apis[2]
    outcomes = {
        passed.name: [{"test": "t.py::test_a", "passed": True}],
        failed.name: [
            {"test": "t.py::test_b", "passed": True},
            {"test": "t.py::test_c", "passed": False},
        ],
    }
    text = render(outcomes)

    assert f"| `{passed.name}` | conforms | `test_a` |" in text
    assert f"| `{failed.name}` | fails (`test_c`) | `test_b`, `test_c` |" in text
    assert f"| `{untested.name}` | no conformance test yet |  |" in text
    for api in all_apis():
        assert f"| `{api.name}` |" in text
        if api.not_built:
            assert f"| `{api.name}` | not yet built ({api.not_built}) |" in text


def test_a_deviation_is_said_of_passing_tests_but_never_hides_a_failure():
    deviating = next(a for a in all_apis() if a.deviates)
    passing = {deviating.name: [{"test": "t.py::test_a", "passed": True}]}
    failing = {deviating.name: [{"test": "t.py::test_a", "passed": False}]}

    assert f"| deviates: {deviating.deviates} | `test_a` |" in render(passing)
    assert "| fails (`test_a`) | `test_a` |" in render(failing)
