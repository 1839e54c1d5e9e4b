"""Every conformance fixture is its seed's code block, character for character."""

import pytest

from tests.conformance.fixtures import FIXTURES
from tests.conformance.seeds import block, fixture


@pytest.mark.parametrize(
    ("seed", "name"), sorted(FIXTURES), ids=[f"{s}/{n}" for s, n in sorted(FIXTURES)]
)
def test_the_fixture_is_the_seeds_block(seed, name):
    section, index = FIXTURES[(seed, name)]
    assert fixture(seed, name) == block(seed, section, index)
