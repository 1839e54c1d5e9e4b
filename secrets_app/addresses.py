"""Which addresses a script's fetch may reach: the public internet, nothing else.

`parse_host` reads a URL's host the way browsers do (so `2130706433`,
`0177.0.0.1` and `0x7f.1` are the IPv4 addresses they look like, not names),
`refusal` says why an address is off limits (or None), and `Allowance` is the
operator's explicit allow-list (SCRIPTS["FETCH_ALLOW"]) that lets tests and
deployments reach chosen local services.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names of cloud metadata services, refused whatever DNS says (other names,
# `localhost` included, are refused by the addresses they resolve to).
BLOCKED_NAMES = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
}

METADATA = {
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
}
SHARED = ipaddress.ip_network("100.64.0.0/10")
IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class BadHost(ValueError):
    """The URL's host is neither a valid name nor a valid IP address."""


def _number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        if not re.fullmatch(r"[0-7]+", part):
            raise BadHost(f"'{part}' is not a valid octal number")
        return int(part, 8)
    return int(part)


def _ipv4(host: str) -> ipaddress.IPv4Address:
    """Read 1 to 4 dotted numbers (decimal, 0-octal or 0x-hex) as inet_aton does."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.match(p) for p in parts):
        raise BadHost(f"'{host}' is not a valid IPv4 address")
    numbers = [_number(p) for p in parts]
    last = numbers.pop()
    if any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        raise BadHost(f"'{host}' is not a valid IPv4 address")
    value = last
    for i, n in enumerate(numbers):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def parse_host(host: str) -> IPAddress | str:
    """Return the IP address a URL host denotes, or the lower-cased name."""
    host = host.strip().lower()
    if not host:
        raise BadHost("the URL has no host")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise BadHost(f"'{host}' is not a valid IPv6 address") from None
    labels = host.rstrip(".").split(".")
    # Browsers read a host whose last label is a number as an IPv4 address.
    if _NUMBER.match(labels[-1]):
        return _ipv4(host)
    return host


def name_refusal(name: str) -> str | None:
    """Say why a host name is refused before it is even resolved, or None."""
    if name.rstrip(".") in BLOCKED_NAMES:
        return f"'{name}' is a cloud metadata host name"
    return None


def refusal(ip: IPAddress) -> str | None:
    """Return why a script may not connect to `ip`, or None if it is public."""
    if ip in METADATA:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            why = refusal(embedded)
            return f"{why}, embedded in an IPv6 address" if why else None
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        if ip in NAT64_LOCAL:
            return "a local-use NAT64 address"
        if ip.is_site_local:
            return "a site-local address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
    )
    for attribute, why in checks:
        if getattr(ip, attribute):
            return why
    if ip in SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved or ip in IETF_PROTOCOL:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def connectable(ip: IPAddress) -> IPAddress:
    """Return the address to open a socket to (IPv4-mapped ones as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 address stands for, if it carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in IPV4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class Allowance:
    """An allow-list entry: a network, optionally only one port of it."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> Allowance:
        """Read `127.0.0.1:8080`, `[::1]:8080`, `10.0.0.0/8` or `192.168.1.5`."""
        text = text.strip()
        port = None
        match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text) or re.fullmatch(
            r"([^:]+):(\d+)", text
        )
        if match:
            text, port = match.group(1), match.group(2)
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(
                f"FETCH_ALLOW entry {text!r} is not an IP address or network"
            ) from None
        return cls(network, int(port) if port else None)

    def admits(self, ip: IPAddress, port: int) -> bool:
        return ip in self.network and (self.port is None or self.port == port)


def allowances(entries) -> list[Allowance]:
    if isinstance(entries, str):
        entries = entries.split(",")
    return [Allowance.parse(e) for e in entries or () if str(e).strip()]
