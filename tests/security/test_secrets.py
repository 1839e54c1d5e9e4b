"""Issue 12, hole 6: secrets reach only their hosts, and their encodings are redacted.

Before the fix a secret could be sent to any host a script named, and only its
exact value was redacted: an upstream that echoed it base64-encoded, reversed or
lower-cased handed the plaintext to the script, its logs and its callers. These
tests run a real server (`manage.py serve`) whose fetch may reach two local
upstreams (127.0.0.1 and 127.0.0.2, via SCRIPT_FETCH_ALLOW).
"""

import json

import pytest

from tests.e2e.servers import FreshDatabase, Server, poll, put_script
from tests.secrets_app.localserver import ENCODINGS, address, local_server

VALUE = 'Sk~Live/7f3a+9c2b"1d?>>'  # base64 with '+', '/' and padding
OTHER = "pk-partner-5e1d9c7b3a"

SCRIPT = """
function echoed(c) {
  const r = fetch(c.query.url, { headers: { "X-Key": "{{secret:echo_key}}" } });
  console.log("echo " + c.query.how + ": " + r.body);
  return r.body;
}
function send(c) {
  try {
    const r = fetch(c.query.url, JSON.parse(c.query.options));
    return "sent " + r.status;
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
routeRegistry.registerRoute("/echoed", "echoed", "GET");
routeRegistry.registerRoute("/send", "send", "GET");
"""

SECRETS = {
    "echo_key": (VALUE, ["127.0.0.1"]),
    "partner_key": (OTHER, ["api.partner.example", "*.partner.example"]),
    "unbound_key": ("sk-unbound-0123456789", None),  # None: created without hosts
    "both_key": ("sk-both-hosts-0123456789", ["127.0.0.1", "127.0.0.2"]),
}


@pytest.fixture(scope="module")
def upstreams():
    with local_server("127.0.0.1") as first, local_server("127.0.0.2") as second:
        yield first, second


@pytest.fixture(scope="module")
def site(upstreams):
    database = FreshDatabase().create()
    allow = ",".join(address(u) for u in upstreams)
    server = Server(database, SCRIPT_FETCH_ALLOW=allow).start()
    try:
        with server.client(headers=server.auth) as client:
            for identifier, (value, hosts) in SECRETS.items():
                body = {"value": value}
                if hosts is not None:
                    body["allowed_hosts"] = hosts
                stored = client.put(f"/system/api/secrets/{identifier}", json=body)
                assert stored.status_code == 201, stored.text
        assert put_script(server, "secret-holes", SCRIPT).status_code == 201
        yield server
    finally:
        server.stop()
        database.drop()


def get(site, path, **query):
    with site.client() as client:
        return client.get(path, params=query)


def send(site, url, **options):
    return get(site, "/send", url=url, options=json.dumps(options))


def logs_with(site, text):
    with site.client(headers=site.auth) as client:
        reply, _ = poll(
            lambda: client.get("/system/api/logs", params={"script": "secret-holes"}),
            lambda r: text in r.text,
            within=5.0,
        )
    return reply.text


EMBEDDED_PREFIX = {"basic-auth": "Basic bWU6"}  # base64("me:")


@pytest.mark.server
@pytest.mark.parametrize("how", sorted(ENCODINGS))
def test_an_upstreams_encoded_echo_of_a_secret_is_redacted(site, upstreams, how):
    first, _ = upstreams
    encoded = ENCODINGS[how](VALUE)

    reply = get(
        site, "/echoed", url=f"http://{address(first)}/encoded?how={how}", how=how
    )
    logged = logs_with(site, f"echo {how}: ")

    assert first.seen[-1]["headers"]["x-key"] == VALUE  # the upstream got it
    assert reply.status_code == 200, reply.text
    prefix = EMBEDDED_PREFIX.get(how, "")
    if prefix:
        # Inside a longer base64 string: at most the one character that mixes
        # the value's last bits with what follows stays, plus the padding.
        assert reply.text.startswith(f"{prefix}[secret:echo_key]")
        assert len(reply.text) - len(f"{prefix}[secret:echo_key]") <= 2
    else:
        assert reply.text == "[secret:echo_key]"
    for text in (reply.text, logged, site.output()):
        assert encoded not in text and VALUE not in text
    assert f"echo {how}: {prefix}[secret:echo_key]" in logged


@pytest.mark.server
@pytest.mark.parametrize(
    ("where", "options"),
    [
        ("header", {"headers": {"Authorization": "Bearer {{secret:partner_key}}"}}),
        ("body", {"method": "POST", "body": '{"key": "{{secret:partner_key}}"}'}),
        ("url", {}),
    ],
)
def test_a_secret_is_not_sent_to_a_host_outside_its_allowed_hosts(
    site, upstreams, where, options
):
    first, _ = upstreams
    first.seen.clear()
    query = "?key={{secret:partner_key}}" if where == "url" else ""

    reply = send(site, f"http://{address(first)}/echo{query}", **options)

    assert reply.text.startswith(
        "FetchError: fetch refused: secret 'partner_key' may not be sent to 127.0.0.1"
    ), reply.text
    assert "api.partner.example" in reply.text  # where it may go
    assert first.seen == []  # nothing left, not even without the value
    assert OTHER not in reply.text


@pytest.mark.server
def test_a_new_secret_created_without_hosts_is_sent_nowhere(site, upstreams):
    first, _ = upstreams
    first.seen.clear()

    reply = send(
        site,
        f"http://{address(first)}/echo",
        headers={"X-Key": "{{secret:unbound_key}}"},
    )

    assert reply.text.startswith(
        "FetchError: fetch refused: secret 'unbound_key' may not be sent to "
        "127.0.0.1 (it may go to: no host yet)"
    ), reply.text
    assert first.seen == []


@pytest.mark.server
def test_a_redirect_may_not_carry_a_body_secret_to_a_host_it_is_not_bound_to(
    site, upstreams
):
    first, second = upstreams
    first.seen.clear()
    second.seen.clear()
    onward = f"http://{address(second)}/echo"

    reply = send(
        site,
        f"http://{address(first)}/redirect?status=307&to={onward}",
        method="POST",
        body="key={{secret:echo_key}}",
    )

    assert reply.text.startswith(
        "FetchError: fetch refused: secret 'echo_key' may not be sent to 127.0.0.2"
    ), reply.text
    assert first.seen[0]["body"] == f"key={VALUE}"  # its own host got it
    assert second.seen == []


@pytest.mark.server
def test_a_redirect_may_not_carry_a_url_secret_to_a_host_it_is_not_bound_to(
    site, upstreams
):
    first, second = upstreams
    first.seen.clear()
    second.seen.clear()
    # The allowed host answers with a Location that holds the value.
    onward = f"http://{address(second)}/echo?stolen={{{{secret:echo_key}}}}"

    reply = send(site, f"http://{address(first)}/redirect?to={onward}")

    assert reply.text.startswith(
        "FetchError: fetch refused: secret 'echo_key' may not be sent to 127.0.0.2"
    ), reply.text
    assert len(first.seen) == 1
    assert second.seen == []


@pytest.mark.server
def test_a_redirect_to_another_host_the_secret_is_bound_to_goes_through(
    site, upstreams
):
    first, second = upstreams
    second.seen.clear()
    onward = f"http://{address(second)}/echo"

    reply = send(
        site,
        f"http://{address(first)}/redirect?status=307&to={onward}",
        method="POST",
        body="key={{secret:both_key}}",
    )

    assert reply.text == "sent 200"
    assert second.seen[0]["body"] == "key=sk-both-hosts-0123456789"


def test_a_developer_cannot_move_a_stored_secret_to_another_host(api):
    owner, developer = api("alice"), api("bob")
    created = owner.put(
        "/system/api/secrets/bound",
        {"value": VALUE, "allowed_hosts": ["api.partner.example"]},
        format="json",
    )

    moved = developer.patch(
        "/system/api/secrets/bound", {"allowed_hosts": ["evil.example"]}, format="json"
    )
    listed = developer.get("/system/api/secrets/bound").json()

    assert created.status_code == 201
    assert moved.status_code == 403
    assert moved.json()["error"]["code"] == "permission_denied"
    assert "Only an owner" in moved.json()["error"]["message"]
    assert listed["allowed_hosts"] == ["api.partner.example"]
