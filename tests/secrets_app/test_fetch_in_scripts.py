"""fetch, http.get and http.post as scripts use them, against a real local server."""

import json
import re

import pytest

from secrets_app.models import Secret
from tests.secrets_app.localserver import address, local_server

VALUE = "sk-live-0123456789abcdef"

SCRIPT = """
async function withSecret(c) {
  const r = await fetch(c.query.url, {
    headers: { Authorization: "Bearer {{secret:api_key}}", "X-Plain": "yes" },
  });
  return { status: 200, body: { status: r.status, ok: r.ok, seen: await r.json() } };
}
async function seedStyle(c) {
  const options = JSON.stringify({ method: "POST", body: "hi", headers: { "X-A": "1" } });
  const response = JSON.parse(await fetch(c.query.url, options));
  return { status: 200, body: response };
}
async function readers(c) {
  const r = await fetch(c.query.url);
  const text = await r.text();
  return { status: 200, body: { text: typeof text, json: (await r.json()).path,
    header: r.headers["x-served-by"], keys: Object.keys(r).sort() } };
}
async function iota(c) {
  const got = await http.get(c.query.url);
  const posted = await http.post(c.query.url, { key: "value" });
  return { status: 200, body: { got: got.status, posted: JSON.parse(posted.body) } };
}
async function caught(c) {
  try {
    await fetch(c.query.url, { headers: { "X-Key": "{{secret:" + c.query.name + "}}" } });
    return "no error";
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
async function leaky(c) {
  const r = await fetch(c.query.url, { headers: { "X-Key": "{{secret:api_key}}" } });
  console.log("echo " + r.body);
  throw new Error("failed after " + r.body);
}
async function patient(c) {
  try {
    await fetch(c.query.url, { timeout_ms: 60000 });
    return "answered";
  } catch (e) {
    return e.message;
  }
}
async function optioned(c) {
  try {
    await fetch(c.query.url, JSON.parse(c.query.options));
    return "sent";
  } catch (e) {
    return e.name + ": " + e.message;
  }
}
routeRegistry.registerRoute("/optioned", "optioned", "GET");
routeRegistry.registerRoute("/with-secret", "withSecret", "GET");
routeRegistry.registerRoute("/seed-style", "seedStyle", "GET");
routeRegistry.registerRoute("/readers", "readers", "GET");
routeRegistry.registerRoute("/iota", "iota", "GET");
routeRegistry.registerRoute("/caught", "caught", "GET");
routeRegistry.registerRoute("/leaky", "leaky", "GET");
routeRegistry.registerRoute("/patient", "patient", "GET");
"""


@pytest.fixture
def recorder(settings):
    with local_server() as server:
        settings.SCRIPTS = {**settings.SCRIPTS, "FETCH_ALLOW": [address(server)]}
        yield server


@pytest.fixture
def call(cast, upload, api, recorder):
    secret = Secret(
        tenant=cast["acme"], identifier="api_key", allowed_hosts=["127.0.0.1"]
    )
    secret.set_value(VALUE)
    secret.save()
    anywhere = Secret(tenant=cast["acme"], identifier="any_key", allowed_hosts=["*"])
    anywhere.set_value("sk-any-host-0123456789")
    anywhere.save()
    assert upload("fetcher", SCRIPT).status_code == 201
    client = api(host="acme.test")

    def get(path, **query):
        return client.get(path, query)

    return get


def url(recorder, path="/echo"):
    return f"http://{address(recorder)}{path}"


def test_a_secret_in_a_header_reaches_the_server_but_not_the_script(call, recorder):
    reply = call("/with-secret", url=url(recorder))

    arrived = recorder.seen[0]["headers"]
    assert arrived["authorization"] == f"Bearer {VALUE}"
    assert arrived["x-plain"] == "yes"
    body = reply.json()
    assert body["status"] == 200 and body["ok"] is True
    # The echo came back with the value replaced: the script never holds it.
    assert body["seen"]["headers"]["authorization"] == "Bearer [secret:api_key]"
    assert VALUE not in reply.content.decode()


def test_the_seeds_json_string_options_and_json_parse_of_the_response_work(
    call, recorder
):
    reply = call("/seed-style", url=url(recorder))

    body = reply.json()
    assert set(body) == {"status", "ok", "headers", "body"}
    assert json.loads(body["body"])["method"] == "POST"
    assert recorder.seen[0]["body"] == "hi"
    assert recorder.seen[0]["headers"]["x-a"] == "1"


def test_text_and_json_return_promises_and_headers_are_lower_case(call, recorder):
    body = call("/readers", url=url(recorder)).json()

    assert body == {
        "text": "string",
        "json": "/echo",
        "header": "recorder",
        "keys": ["body", "headers", "ok", "redirected", "status", "statusText", "url"],
    }


def test_iota_http_get_and_post_send_json_bodies(call, recorder):
    body = call("/iota", url=url(recorder)).json()

    assert body["got"] == 200
    assert body["posted"]["method"] == "POST"
    assert json.loads(body["posted"]["body"]) == {"key": "value"}
    assert body["posted"]["headers"]["content-type"] == "application/json"


def test_an_unknown_secret_fails_the_call_and_nothing_is_sent(call, recorder):
    reply = call("/caught", url=url(recorder), name="nope")

    assert reply.content.decode().startswith("FetchError: fetch: unknown secret 'nope'")
    assert recorder.seen == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://localhost:1/", "localhost resolves to"),
        ("http://2130706433/", "127.0.0.1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/", "private address, embedded"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_refused_urls_are_errors_the_script_can_catch(call, target, message):
    # A secret allowed to go anywhere: the address checks still refuse.
    reply = call("/caught", url=target, name="any_key")

    text = reply.content.decode()
    assert reply.status_code == 200
    assert text.startswith("FetchError: fetch refused") and message in text


def test_a_redirect_from_an_allowed_server_to_a_private_one_is_refused(call, recorder):
    target = url(recorder, "/redirect?to=http://10.1.2.3/secret")

    text = call("/caught", url=target, name="api_key").content.decode()

    assert "fetch refused: 10.1.2.3 is a private address" in text
    assert len(recorder.seen) == 1


def test_secret_values_stay_out_of_logs_errors_and_executions(
    call, recorder, api, records
):
    reply = call("/leaky", url=url(recorder))
    records()

    logs = api("alice").get("/system/api/logs?script=fetcher").content.decode()
    executions = (
        api("alice").get("/system/api/executions?script=fetcher").content.decode()
    )
    assert reply.status_code == 500
    assert recorder.seen[0]["headers"]["x-key"] == VALUE
    assert "[secret:api_key]" in logs and "[secret:api_key]" in executions
    for text in (reply.content.decode(), logs, executions):
        assert VALUE not in text


def test_the_fetch_timeout_is_capped_by_the_invocations_deadline(
    call, recorder, settings
):
    limits = {**settings.SCRIPTS["LIMITS"], "http": (1.0, 20)}
    settings.SCRIPTS = {**settings.SCRIPTS, "LIMITS": limits}

    reply = call("/patient", url=url(recorder, "/slow?seconds=3"))

    # Caught inside the script's 1 s, well before the 60 s it asked for.
    said = re.fullmatch(
        r"fetch failed: no complete response within (\d+) ms", reply.content.decode()
    )
    assert reply.status_code == 200
    assert said and int(said.group(1)) <= 900


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "BREW"}, "fetch: unsupported method 'BREW'"),
        ({"headers": {"Host": "internal"}}, "the 'Host' header is set by the platform"),
        ({"headers": {"X-A": "a\r\nX-B: b"}}, "header 'X-A' contains a line break"),
        ({"headers": {"X-A": "caf\u00e9\u2603"}}, "outside Latin-1"),
        ({"headers": {"Bad Name": "1"}}, "invalid header name 'Bad Name'"),
        ({"timeout_ms": -5}, "timeout_ms must be positive"),
        ({"timeout_ms": "soon"}, "timeout_ms must be a number"),
    ],
)
def test_invalid_options_fail_the_call_before_anything_is_sent(
    call, recorder, options, message
):
    reply = call("/optioned", url=url(recorder), options=json.dumps(options))

    text = reply.content.decode()
    assert text.startswith("FetchError: fetch: ") and message in text, text
    assert recorder.seen == []
