"""Every conformance fixture is its seed's code block, character for character."""

import re

import pytest

from tests.conformance.fixtures import CHANGED, FIXTURES
from tests.conformance.seeds import Lines, block, fixture


@pytest.mark.parametrize(
    ("seed", "name"), sorted(FIXTURES), ids=[f"{s}/{n}" for s, n in sorted(FIXTURES)]
)
def test_the_fixture_is_the_seeds_block(seed, name):
    section, index = FIXTURES[(seed, name)]
    assert fixture(seed, name) == block(seed, section, index)


@pytest.mark.parametrize(
    ("section", "lines", "why"),
    [
        ("HTTP Client", Lines(45, 46), "part of a longer block"),
        ("HTTP Client", Lines(46, 47), "part of a longer block"),
        ("HTTP Client", Lines(45, 48), "do not start and end with code"),
        ("Utilities", Lines(45, 47), "not just above line 45"),
        ("Http Client", Lines(45, 47), "0 lines reading 'Http Client'"),
        ("HTTP Client", Lines(318, 400), "has no lines 318-400"),
    ],
)
def test_a_plain_text_block_must_be_whole_and_under_its_heading(section, lines, why):
    with pytest.raises(KeyError, match=re.escape(why)):
        block("iota", section, lines)


def test_every_change_a_test_makes_names_a_fixture():
    assert set(CHANGED) <= set(FIXTURES)
