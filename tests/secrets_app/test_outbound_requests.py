"""The outbound client against a real local server: checks, redirects, limits."""

import ipaddress

import pytest

from secrets_app.addresses import allowances
from secrets_app.outbound import FetchError, Outbound, Policy, send
from tests.secrets_app.localserver import address, local_server


@pytest.fixture
def recorder():
    with local_server() as server:
        yield server


def policy(server, max_bytes=1024 * 1024, resolver=None, allow=None):
    entries = allowances([address(server)] if allow is None else allow)
    if resolver is None:
        return Policy(entries, max_bytes)
    return Policy(entries, max_bytes, resolver)


def get(url, headers=(), secret_headers=()):
    return Outbound("GET", url, list(headers), None, set(secret_headers))


async def test_an_allow_listed_local_server_answers_with_status_headers_and_body(
    recorder,
):
    response = await send(
        get(f"http://{address(recorder)}/echo", [("X-Trace", "t-1")]),
        policy(recorder),
        5,
    )

    assert response["status"] == 200 and response["ok"] is True
    assert response["headers"]["x-served-by"] == "recorder"
    assert '"x-trace": "t-1"' in response["body"]
    assert recorder.seen[0]["headers"]["host"] == address(recorder)


async def test_a_local_server_is_refused_without_an_allow_list_entry(recorder):
    with pytest.raises(FetchError, match="127.0.0.1 is a loopback address"):
        await send(
            get(f"http://{address(recorder)}/echo"), policy(recorder, allow=[]), 5
        )
    assert recorder.seen == []


async def test_the_allow_list_admits_only_the_listed_port(recorder):
    host, port = recorder.server_address[:2]
    with pytest.raises(FetchError, match="loopback"):
        await send(
            get(f"http://{address(recorder)}/echo"),
            policy(recorder, allow=[f"{host}:{port + 1}"]),
            5,
        )


async def test_a_name_resolving_to_loopback_is_refused(recorder):
    port = recorder.server_address[1]
    with pytest.raises(FetchError, match="localhost resolves to .*loopback"):
        await send(get(f"http://localhost:{port + 1}/"), policy(recorder), 5)


async def test_a_name_with_one_private_address_among_public_ones_is_refused(
    recorder,
):
    async def resolver(name, port):
        return [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.7")]

    with pytest.raises(FetchError, match="resolves to 10.0.0.7, a private address"):
        await send(get("http://mixed.example/"), policy(recorder, resolver=resolver), 5)


async def test_the_request_goes_to_the_address_checked_not_a_second_lookup(
    recorder,
):
    answers = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.9.9.9")]
    lookups = []

    async def rebinding(name, port):
        lookups.append(name)
        return [answers[min(len(lookups) - 1, 1)]]

    port = recorder.server_address[1]
    response = await send(
        get(f"http://rebind.example:{port}/echo"),
        policy(recorder, resolver=rebinding),
        5,
    )

    assert response["status"] == 200
    assert lookups == ["rebind.example"]
    assert recorder.seen[0]["headers"]["host"] == f"rebind.example:{port}"


async def test_a_redirect_to_a_private_address_is_refused(recorder):
    url = f"http://{address(recorder)}/redirect?to=http://192.168.0.10/admin"

    with pytest.raises(FetchError, match="192.168.0.10 is a private address"):
        await send(get(url), policy(recorder), 5)


async def test_a_redirect_to_the_metadata_service_is_refused(recorder):
    url = (
        f"http://{address(recorder)}/redirect?status=307"
        "&to=http://169.254.169.254/latest/meta-data/"
    )

    with pytest.raises(FetchError, match="cloud metadata"):
        await send(get(url), policy(recorder), 5)


async def test_five_redirects_are_followed_and_a_sixth_is_refused(recorder):
    base = f"http://{address(recorder)}"

    followed = await send(get(f"{base}/hops/5"), policy(recorder), 5)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        await send(get(f"{base}/hops/6"), policy(recorder), 5)

    assert followed["body"] == "arrived" and followed["redirected"] is True
    assert followed["url"] == f"{base}/hops/0"


async def test_secret_headers_are_dropped_on_a_redirect_to_another_origin(recorder):
    with local_server() as other:
        target = f"http://{address(other)}/echo"
        url = f"http://{address(recorder)}/redirect?to={target}"
        request = get(
            url,
            [
                ("X-Api-Key", "k-123456789"),
                ("Authorization", "Bearer t"),
                ("X-Keep", "1"),
            ],
            secret_headers={"x-api-key"},
        )

        await send(
            request, policy(recorder, allow=[address(recorder), address(other)]), 5
        )

        arrived = other.seen[0]["headers"]
    assert recorder.seen[0]["headers"]["x-api-key"] == "k-123456789"
    assert "x-api-key" not in arrived and "authorization" not in arrived
    assert arrived["x-keep"] == "1"


async def test_a_post_redirected_with_303_becomes_a_get_without_body(recorder):
    url = f"http://{address(recorder)}/redirect?status=303&to=/echo"
    request = Outbound("POST", url, [("Content-Type", "text/plain")], b"payload")

    response = await send(request, policy(recorder), 5)

    assert [s["method"] for s in recorder.seen] == ["POST", "GET"]
    assert recorder.seen[1]["body"] == "" and response["status"] == 200


async def test_a_body_over_the_limit_is_cut_off_with_an_error(recorder):
    small = await send(
        get(f"http://{address(recorder)}/big?bytes=1000"), policy(recorder, 1000), 5
    )
    with pytest.raises(FetchError, match="larger than 1000 bytes and was cut off"):
        await send(
            get(f"http://{address(recorder)}/big?bytes=1001"), policy(recorder, 1000), 5
        )

    assert len(small["body"]) == 1000


async def test_a_slow_server_fails_at_the_timeout_with_an_error(recorder):
    with pytest.raises(FetchError, match="no complete response within 300 ms"):
        await send(
            get(f"http://{address(recorder)}/slow?seconds=3"), policy(recorder), 0.3
        )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https URLs, not 'file:'"),
        ("ftp://example.com/file", "only http and https URLs, not 'ftp:'"),
        ("gopher://127.0.0.1:25/", "only http and https"),
        ("//example.com/", "only http and https URLs, not a URL without one"),
        ("http://user:pw@example.com/", "credentials in the URL"),
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://2130706433/", "127.0.0.1 is a loopback address"),
        ("http://0177.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://0x7f.1/", "127.0.0.1 is a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "loopback address, embedded in an IPv6"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata address, embedded"),
        ("http://[64:ff9b::a00:1]/", "private address, embedded"),
        ("http://[2002:a00:1::]/", "private address, embedded"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://[fd00:ec2::254]/", "cloud metadata address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata host name"),
        ("http://100.64.0.1/", "shared"),
        ("http://224.0.0.251/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://[fe80::1]/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://240.0.0.1/", "reserved"),
        ("http://256.1.1.1/", "invalid host"),
        ("http://example.com:99999/", "invalid URL"),
    ],
)
async def test_urls_outside_the_public_internet_are_refused(recorder, url, message):
    with pytest.raises(FetchError) as refused:
        await send(get(url), policy(recorder, allow=[]), 5)

    assert message in refused.value.message


async def test_the_guard_sees_every_hop_before_its_name_is_resolved(recorder):
    lookups, hops = [], []

    async def resolver(name, port):
        lookups.append(name)
        return [ipaddress.ip_address("127.0.0.1")]

    def guard(host, *, url, headers, body):
        hops.append((host, url))
        if host == "refused.example":
            raise FetchError(f"fetch refused: not to {host}")

    port = recorder.server_address[1]
    onward = f"http://refused.example:{port}/echo"
    request = Outbound(
        "GET",
        f"http://First.Example.:{port}/redirect?to={onward}",
        [],
        guard=guard,
    )

    with pytest.raises(FetchError, match="not to refused.example"):
        await send(request, policy(recorder, resolver=resolver), 5)

    assert [host for host, _ in hops] == ["first.example", "refused.example"]
    assert lookups == ["first.example"]  # the refused name was never looked up
    assert len(recorder.seen) == 1
