"""fetch with a secret through a real server, and the SSRF refusals."""

import pytest

from tests.e2e.conftest import launch
from tests.e2e.servers import poll, put_script
from tests.secrets_app.localserver import address, local_server

pytestmark = pytest.mark.server

VALUE = "e2e-secret-7f3a9c2b1d"

SCRIPT = """
async function relay(c) {
  const r = await fetch(c.query.url, {
    method: "POST",
    headers: { Authorization: "Bearer {{secret:partner_key}}" },
    body: "ping",
  });
  const seen = await r.json();
  return { status: 200, body: { upstream: r.status, seen: seen.headers.authorization } };
}
async function attempt(c) {
  try {
    const r = await fetch(c.query.url);
    return "reached " + r.status;
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
async function spill(c) {
  const r = await fetch(c.query.url, { headers: { "X-Key": "{{secret:partner_key}}" } });
  console.log("upstream said " + r.body);
  throw new Error("giving up after " + r.body);
}
routeRegistry.registerRoute("/relay", "relay", "GET");
routeRegistry.registerRoute("/attempt", "attempt", "GET");
routeRegistry.registerRoute("/spill", "spill", "GET");
"""


@pytest.fixture(scope="module")
def upstream():
    with local_server() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def site(installation, upstream):
    """A server allowed to reach only the recorder, with the secret and script."""
    with launch(installation, SCRIPT_FETCH_ALLOW=address(upstream)) as server:
        with server.client(headers=server.auth) as client:
            stored = client.put(
                "/system/api/secrets/partner_key",
                json={"value": VALUE, "allowed_hosts": ["127.0.0.1"]},
            )
            assert stored.status_code == 201, stored.text
        uploaded = put_script(server, "fetch-e2e", SCRIPT)
        assert uploaded.status_code == 201, uploaded.text
        yield server


def get(server, path, **query):
    with server.client() as client:
        return client.get(path, params=query)


def test_a_secret_header_reaches_the_allow_listed_server(site, upstream):
    upstream.seen.clear()

    reply = get(site, "/relay", url=f"http://{address(upstream)}/echo")

    assert reply.status_code == 200, reply.text
    assert upstream.seen[0]["headers"]["authorization"] == f"Bearer {VALUE}"
    assert upstream.seen[0]["body"] == "ping"
    assert reply.json() == {"upstream": 200, "seen": "Bearer [secret:partner_key]"}


def test_a_name_resolving_to_loopback_is_refused(site):
    reply = get(site, "/attempt", url=f"http://localhost:{site.port}/health")

    assert reply.status_code == 200
    assert reply.text.startswith("FetchError: fetch refused: localhost resolves to")
    assert "loopback address" in reply.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:{port}/health", "127.0.0.1 is a loopback address"),
        ("http://2130706433:{port}/health", "127.0.0.1 is a loopback address"),
        ("http://0177.0.0.1:{port}/health", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/", "loopback address, embedded in an IPv6"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://metadata.google.internal/", "a cloud metadata host name"),
        ("http://10.0.0.1/", "a private address"),
        ("ftp://example.com/file", "only http and https"),
    ],
)
def test_local_and_special_addresses_are_refused(site, url, message):
    reply = get(site, "/attempt", url=url.format(port=site.port))

    assert reply.status_code == 200
    assert reply.text.startswith("FetchError: fetch refused") and message in reply.text


def test_a_redirect_from_the_allowed_server_to_a_private_address_is_refused(
    site, upstream
):
    upstream.seen.clear()
    target = f"http://{address(upstream)}/redirect?to=http://127.0.0.1:{site.port}/"

    reply = get(site, "/attempt", url=target)

    assert reply.text == ("FetchError: fetch refused: 127.0.0.1 is a loopback address")
    assert len(upstream.seen) == 1


def test_the_secret_never_appears_in_logs_executions_errors_or_the_api(site, upstream):
    failed = get(site, "/spill", url=f"http://{address(upstream)}/echo")
    assert upstream.seen[-1]["headers"]["x-key"] == VALUE

    with site.client(headers=site.auth) as client:
        logs, _ = poll(
            lambda: client.get("/system/api/logs", params={"script": "fetch-e2e"}),
            lambda r: "upstream said" in r.text,
            within=5.0,
        )
        executions = client.get(
            "/system/api/executions", params={"script": "fetch-e2e"}
        )
        secrets = client.get("/system/api/secrets")
        one = client.get("/system/api/secrets/partner_key")

    assert failed.status_code == 500
    assert "[secret:partner_key]" in logs.text
    assert "[secret:partner_key]" in executions.text
    # e2e modules share one database: other modules' secrets may be listed too.
    assert "partner_key" in [s["identifier"] for s in secrets.json()]
    for reply in (failed, logs, executions, secrets, one):
        assert VALUE not in reply.text
