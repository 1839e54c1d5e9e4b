"""A secret's allowed hosts: how entries are read and which hosts they admit."""

import pytest
from django.core.exceptions import ValidationError

from secrets_app.destinations import allows, normalize_allowed_hosts


def test_entries_are_lower_cased_idna_encoded_deduplicated_and_sorted():
    entries = [" API.Example.com. ", "api.example.com", "*.Bücher.de", "[::1]", "*"]

    assert normalize_allowed_hosts(entries) == [
        "*",
        "*.xn--bcher-kva.de",
        "::1",
        "api.example.com",
    ]


def test_every_invalid_entry_is_reported_at_once():
    with pytest.raises(ValidationError) as refused:
        normalize_allowed_hosts(["ok.example.com", "http://a.example", "*.com"])

    assert len(refused.value.messages) == 2


@pytest.mark.parametrize(
    ("entries", "host", "allowed"),
    [
        (["api.example.com"], "api.example.com", True),
        (["api.example.com"], "evil.example.com", False),
        (["api.example.com"], "api.example.com.evil.test", False),
        (["*.example.com"], "a.example.com", True),
        (["*.example.com"], "a.b.example.com", True),
        (["*.example.com"], "example.com", False),
        (["*.example.com"], "badexample.com", False),
        (["127.0.0.1"], "127.0.0.1", True),
        (["127.0.0.1"], "127.0.0.2", False),
        (["*"], "anything.test", True),
        ([], "api.example.com", False),
    ],
)
def test_a_host_is_allowed_only_by_a_matching_entry(entries, host, allowed):
    assert allows(entries, host) is allowed
