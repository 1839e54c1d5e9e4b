"""Which addresses fetch refuses: every local, private and special range, v4 and v6."""

import ipaddress

import pytest

from secrets_app.addresses import (
    Allowance,
    BadHost,
    allowances,
    name_refusal,
    parse_host,
    refusal,
)

REFUSED = {
    # IPv4
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "private",  # "this network"
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "169.254.1.1": "link-local",
    "169.254.169.254": "cloud metadata",
    "169.254.170.2": "cloud metadata",
    "100.64.0.1": "shared",
    "100.127.255.255": "shared",
    "100.100.100.200": "cloud metadata",
    "192.0.0.192": "cloud metadata",
    "192.0.0.8": "reserved",
    "192.0.2.1": "private",  # documentation
    "198.18.0.1": "private",  # benchmarking
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    # IPv6
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fec0::1": "site-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "fd00:ec2::254": "cloud metadata",
    "ff02::1": "multicast",
    "ff0e::1": "multicast",
    "2001:db8::1": "private",  # documentation
    "100::1": "reserved",  # discard-only
    "64:ff9b:1::1": "local-use NAT64",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo",
    # IPv4 embedded in IPv6
    "::ffff:127.0.0.1": "loopback address, embedded",
    "::ffff:10.1.2.3": "private address, embedded",
    "::ffff:169.254.169.254": "cloud metadata address, embedded",
    "::127.0.0.1": "loopback address, embedded",  # IPv4-compatible (deprecated)
    "2002:7f00:1::": "loopback address, embedded",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1": "private address, embedded",  # 6to4 of 192.168.1.1
    "64:ff9b::7f00:1": "loopback address, embedded",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe": "cloud metadata address, embedded",  # NAT64 of 169.254.169.254
}

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below the shared range
    "100.128.0.0",  # just above it
    "172.32.0.1",  # just above 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "why"), REFUSED.items())
def test_local_private_and_special_addresses_are_refused_with_the_reason(address, why):
    assert why in (refusal(ipaddress.ip_address(address)) or "")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.0.0.1", "127.0.0.1"),  # hex
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),  # two parts: the last fills 24 bits
        ("10.1.258", "10.1.1.2"),  # three parts: the last fills 16 bits
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[fe80::1%25eth0]", "fe80::1"),  # a zone id is dropped, not a name
        ("169.254.169.254", "169.254.169.254"),
    ],
)
def test_numeric_hosts_are_read_as_the_address_browsers_see(host, address):
    assert parse_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "host", ["example.com", "localhost", "a.0x7f.com", "1.2.3.com"]
)
def test_names_stay_names_to_be_resolved(host):
    assert parse_host(host) == host


@pytest.mark.parametrize(
    "host", ["", "256.0.0.1", "1.2.3.4.5", "08.0.0.1", "0x7f.1.1.1.1", "[::zz]"]
)
def test_malformed_numeric_hosts_are_refused_rather_than_resolved(host):
    with pytest.raises(BadHost):
        parse_host(host)


@pytest.mark.parametrize(
    "name", ["metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata"]
)
def test_cloud_metadata_names_are_refused_before_any_lookup(name):
    assert "metadata" in name_refusal(parse_host(name))


def test_an_ordinary_name_is_not_refused_by_name():
    assert name_refusal("api.example.com") is None


def test_allowance_with_a_port_admits_only_that_port():
    entry = Allowance.parse("127.0.0.1:8080")

    assert entry.admits(ipaddress.ip_address("127.0.0.1"), 8080)
    assert not entry.admits(ipaddress.ip_address("127.0.0.1"), 8081)
    assert not entry.admits(ipaddress.ip_address("127.0.0.2"), 8080)


def test_allowance_forms_cover_networks_and_bracketed_ipv6():
    entries = allowances("10.1.0.0/16, [::1]:9000 ,192.168.5.5")

    assert entries[0].admits(ipaddress.ip_address("10.1.200.3"), 443)
    assert entries[1].admits(ipaddress.ip_address("::1"), 9000)
    assert not entries[1].admits(ipaddress.ip_address("::1"), 9001)
    assert entries[2].admits(ipaddress.ip_address("192.168.5.5"), 80)


def test_an_empty_allow_list_admits_nothing():
    assert allowances([]) == [] and allowances("") == []


def test_a_malformed_allowance_is_reported_with_the_entry():
    with pytest.raises(ValueError, match="localhost"):
        Allowance.parse("localhost:8080")
