"""The redactor finds a secret's value and its common encodings, and nothing else."""

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from secrets_app.redaction import Redactor, redactor_for

VALUE = 'Sk~Live/7f3a+9c2b"1d?>>'
SHOWN = "[secret:api_key]"


@pytest.fixture
def redactor():
    return Redactor({"api_key": VALUE})


@pytest.mark.parametrize(
    "encoded",
    [
        VALUE,
        VALUE.lower(),
        VALUE.upper(),
        VALUE.swapcase(),
        VALUE[::-1],
        VALUE[::-1].upper(),
        VALUE.encode().hex(),
        VALUE.encode().hex().upper(),
        quote(VALUE, safe=""),
        quote(VALUE, safe="").lower(),
        quote(VALUE),
        quote_plus(VALUE),
        json.dumps(VALUE)[1:-1],
        base64.b64encode(VALUE.encode()).decode(),
        base64.b64encode(VALUE.encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(VALUE.encode()).decode(),
        base64.urlsafe_b64encode(VALUE.encode()).decode().rstrip("="),
    ],
)
def test_each_encoding_standing_alone_is_replaced_whole(redactor, encoded):
    assert redactor.redact(f"before {encoded} after") == f"before {SHOWN} after"


@pytest.mark.parametrize("prefix", [b"", b"u", b"us", b"use", b"user:", b"me:"])
@pytest.mark.parametrize("suffix", [b"", b"!", b"tail"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_of_the_value_inside_a_longer_string_leaves_at_most_a_char_each_side(
    redactor, prefix, suffix, encode
):
    whole = encode(prefix + VALUE.encode() + suffix).decode()
    lead = encode(prefix).decode().rstrip("=")[: len(prefix) * 4 // 3]

    redacted = redactor.redact(whole)

    assert SHOWN in redacted
    before, after = redacted.split(SHOWN)
    # Only characters made partly of the value's bits may stay: one at each end.
    assert len(before) <= len(lead) + 1
    assert len(after.rstrip("=")) <= len(encode(suffix).decode().rstrip("=")) + 1
    assert VALUE not in redacted


def test_several_secrets_are_told_apart_and_found(redactor):
    both = Redactor({"api_key": VALUE, "other": "another-secret-value"})
    text = f"{VALUE.lower()} and {'another-secret-value'[::-1]}"

    assert both.redact(text) == "[secret:api_key] and [secret:other]"
    assert both.found(text) == {"api_key", "other"}
    assert both.found("nothing here") == set()


def test_ordinary_text_is_left_alone(redactor):
    text = 'Sk~Live/ and 7f3a+9c2b and "1d?>>": pieces, not the value ' * 50

    assert redactor.redact(text) == text


def test_latin1_values_are_matched_in_their_utf8_and_latin1_forms():
    value = "clé-secrète-0123"
    redactor = Redactor({"k": value})

    for encoded in (
        value.encode("utf-8").hex(),
        value.encode("latin-1").hex(),
        base64.b64encode(value.encode("latin-1")).decode(),
        quote(value.encode("latin-1"), safe=""),
        value.upper(),
    ):
        assert redactor.redact(encoded) == "[secret:k]", encoded


def test_the_redactor_for_a_set_of_secrets_is_built_once():
    first = redactor_for({"a": "value-one-123456", "b": "value-two-123456"})
    again = redactor_for({"b": "value-two-123456", "a": "value-one-123456"})

    assert first is again
