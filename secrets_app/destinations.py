"""Where a secret may be sent: each secret's list of allowed hosts.

An entry is a host name (`api.example.com`), a wildcard for the subdomains of
one (`*.example.com`: `a.example.com` and `a.b.example.com`, not
`example.com` itself), an IP address (`203.0.113.7`, `2001:db8::1`), or `*`
for any host (what secrets stored before hosts were bound were migrated to).
Ports, schemes and paths are not part of an entry. Names are compared as
`fetch` reads them: lower-cased, IDNA-encoded, without a trailing dot.
"""

from __future__ import annotations

import ipaddress
import re

import idna
from django.core.exceptions import ValidationError

from secrets_app.addresses import BadHost, parse_host

ANY_HOST = "*"
MAX_ENTRIES = 100
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def host_of(text: str) -> str:
    """Return a URL host in the form entries are compared with (raise BadHost)."""
    host = parse_host(text)
    if not isinstance(host, str):
        return str(host)
    try:
        return idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise BadHost(str(exc)) from None


def entry_of(text) -> str:
    """Return one entry in its stored form, or raise ValidationError saying why."""
    if not isinstance(text, str):
        raise ValidationError("Each allowed host must be a string.")
    entry = text.strip().lower()
    if entry == ANY_HOST:
        return entry
    wildcard = entry.startswith("*.")
    name = entry[2:] if wildcard else entry
    if not name or re.search(r"[/:@?#\s]", name.strip("[]")) and not _ipv6(name):
        raise ValidationError(
            f"'{text}' is not a host: give the host name alone "
            "(no scheme, port or path), e.g. api.example.com or *.example.com."
        )
    try:
        host = host_of(name)
    except BadHost as exc:
        raise ValidationError(f"'{text}' is not a valid host ({exc}).") from None
    is_ip = _is_ip(host)
    if is_ip and wildcard:
        raise ValidationError(f"'{text}': a wildcard needs a host name, not an IP.")
    if not is_ip and not _NAME.match(host):
        raise ValidationError(f"'{text}' is not a valid host name.")
    if wildcard and "." not in host:
        raise ValidationError(
            f"'{text}' is too broad: a wildcard needs a domain with at least "
            "two labels, e.g. *.example.com."
        )
    return f"*.{host}" if wildcard else host


def normalize_allowed_hosts(value) -> list[str]:
    """Return the entries checked, normalized, de-duplicated and sorted."""
    if not isinstance(value, list | tuple):
        raise ValidationError("Allowed hosts must be a list of host names.")
    if len(value) > MAX_ENTRIES:
        raise ValidationError(f"At most {MAX_ENTRIES} allowed hosts per secret.")
    errors, entries = [], set()
    for text in value:
        try:
            entries.add(entry_of(text))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return sorted(entries)


def validate_allowed_hosts(value) -> None:
    normalize_allowed_hosts(value)


def allows(entries, host: str) -> bool:
    """Return True if a request to `host` (as host_of gives it) may carry the secret."""
    for entry in entries or ():
        if entry in (ANY_HOST, host):
            return True
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _ipv6(text: str) -> bool:
    return _is_ip(text.strip("[]")) and ":" in text
