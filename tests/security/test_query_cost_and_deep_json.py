"""Issue 12, holes 4 and 7: GraphQL query cost, and JSON nested too deeply.

Hole 4: aliases amplify: a 26 KB query asking for one field hundreds of times
answered hundreds of megabytes. Now a query over the alias (or depth, field,
length) limits is refused before any of it runs, at /graphql and through a
script's executeGraphQL alike, and a result over GRAPHQL_MAX_RESULT_BYTES is
replaced by one error.

Hole 7: 100,000 nested brackets sent to /graphql or the REST API got Django's
HTML 500 page (a RecursionError in json.loads). Now every endpoint that
parses JSON answers 400 with its JSON error: the platform's shape on the REST
API, the GraphQL shape (same code and requestId) on the GraphQL endpoints,
close code 4400 on the WebSocket, a thrown TypeError in executeGraphQL.

Everything about HTTP goes through a real server (tests/e2e).
"""

import asyncio
import json

import httpx
import pytest

from tests.e2e.conftest import installation, server  # noqa: F401 - fixtures
from tests.e2e.servers import poll, put_script

WAIT = 15.0
PADDING = "// " + "x" * 12_000 + "\n"  # the script's content: about 12 KB
AMPLIFIER = (
    PADDING
    + """
// Asks for this script's own content under many aliases, as the attack did.
function aliases(n) {
  const fields = [];
  for (let i = 0; i < n; i++) fields.push(`a${i}: script(uri: "amp") { content }`);
  return "{ " + fields.join(" ") + " }";
}
async function amplify(context) {
  const answer = await graphQLRegistry.executeGraphQL(aliases(800));
  const parsed = JSON.parse(answer);
  return {
    status: 200,
    body: {
      bytes: answer.length,
      ran: "data" in parsed,
      codes: (parsed.errors || []).map((e) => (e.extensions || {}).code),
    },
  };
}
async function deepVariables(context) {
  const deep = "[".repeat(5000) + "]".repeat(5000);
  try {
    await graphQLRegistry.executeGraphQL("{ __typename }", '{"v": ' + deep + "}");
    return { status: 200, body: { thrown: null } };
  } catch (e) {
    return { status: 200, body: { thrown: e.name + ": " + e.message } };
  }
}
routeRegistry.registerRoute("/amp-exec", "amplify", "GET");
routeRegistry.registerRoute("/amp-deep-variables", "deepVariables", "GET");
"""
)
DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB, under DATA_UPLOAD_MAX_MEMORY_SIZE


def _alias_query(target_bytes: int) -> str:
    fields, size, i = [], 2, 0
    while size < target_bytes:
        field = f'a{i}: script(uri: "amp") {{ content }}'
        fields.append(field)
        size += len(field) + 1
        i += 1
    return "{ " + " ".join(fields) + " }"


@pytest.fixture(scope="module")
def amplifier(server):  # noqa: F811 - the fixture imported above
    created, _ = poll(
        lambda: put_script(server, "amp", AMPLIFIER), lambda r: r.is_success, 10
    )
    assert created.is_success, created.text
    return server


# -- hole 4: alias amplification --------------------------------------------------------


@pytest.mark.server
def test_a_26_kb_alias_amplified_query_is_refused_before_it_runs(amplifier):
    query = _alias_query(26 * 1024)
    assert 26 * 1024 <= len(query) < 27 * 1024
    with httpx.Client(base_url=amplifier.url, timeout=60) as http:
        reply = http.post("/graphql", json={"query": query}, headers=amplifier.auth)

    # Before the fix: 200 and every alias's 12 KB of content, about 10 MB.
    assert reply.status_code == 400, (reply.status_code, len(reply.content))
    assert len(reply.content) < 2_000
    body = reply.json()
    assert "data" not in body  # refused before execution, not cut short
    assert [e["extensions"]["code"] for e in body["errors"]] == ["too_many_aliases"]
    assert "SCRIPTHOST_GRAPHQL_MAX_ALIASES" in body["errors"][0]["message"]


@pytest.mark.server
def test_graphql_over_sse_refuses_an_alias_amplified_query(amplifier):
    with httpx.Client(base_url=amplifier.url, timeout=60) as http:
        reply = http.post(
            "/graphql/sse",
            json={"query": _alias_query(26 * 1024)},
            headers=amplifier.auth,
        )

    # Before the fix: an event stream carrying about 10 MB.
    assert reply.status_code == 400, (reply.status_code, len(reply.content))
    assert [e["extensions"]["code"] for e in reply.json()["errors"]] == [
        "too_many_aliases"
    ]


@pytest.mark.server
async def test_graphql_over_websocket_refuses_an_alias_amplified_query(amplifier):
    import websockets

    async with websockets.connect(
        f"ws://127.0.0.1:{amplifier.port}/graphql/ws",
        subprotocols=["graphql-transport-ws"],
        open_timeout=WAIT,
        max_size=None,
    ) as socket:
        init = {"type": "connection_init", "payload": amplifier.auth}
        await socket.send(json.dumps(init))
        await asyncio.wait_for(socket.recv(), WAIT)
        query = _alias_query(26 * 1024)
        subscribe = {"type": "subscribe", "id": "1", "payload": {"query": query}}
        await socket.send(json.dumps(subscribe))
        answer = await asyncio.wait_for(socket.recv(), 60)

    # Before the fix: a `next` message of about 10 MB.
    assert len(answer) < 2_000
    message = json.loads(answer)
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == ["too_many_aliases"]


@pytest.mark.server
def test_execute_graphql_refuses_an_alias_amplified_query_too(amplifier):
    with httpx.Client(base_url=amplifier.url, timeout=60) as http:
        reply = http.get("/amp-exec", headers=amplifier.auth)

    assert reply.status_code == 200, reply.text[:500]
    # Before the fix: ran, and the answer was 800 copies of the content.
    assert reply.json() == {
        "bytes": reply.json()["bytes"],
        "ran": False,
        "codes": ["too_many_aliases"],
    }
    assert reply.json()["bytes"] < 2_000


def test_a_result_over_the_size_limit_is_one_error_instead(api, upload, settings):
    assert upload("amp", AMPLIFIER).status_code == 201
    settings.SCRIPTS = {**settings.SCRIPTS, "GRAPHQL_MAX_RESULT_BYTES": 50_000}
    fields = " ".join(f'a{i}: script(uri: "amp") {{ content }}' for i in range(10))

    reply = api("alice").post(
        "/graphql", {"query": "{ " + fields + " }"}, format="json"
    )

    # Ten aliases are allowed, but ten times 12 KB is over 50,000 bytes.
    assert reply.status_code == 400
    assert reply.json() == {
        "errors": [
            {
                "message": reply.json()["errors"][0]["message"],
                "extensions": {"code": "result_too_large"},
            }
        ]
    }
    assert "SCRIPTHOST_GRAPHQL_MAX_RESULT_BYTES" in reply.json()["errors"][0]["message"]


# -- hole 7: JSON nested 100,000 deep ---------------------------------------------------


def _assert_graphql_json_error(reply, code="bad_request"):
    assert reply.status_code == 400, (reply.status_code, reply.text[:300])
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()["errors"][0]
    assert error["extensions"] == {
        "code": code,
        "requestId": reply.headers["X-Request-Id"],
    }
    assert "nested more than 100 levels deep" in error["message"]


@pytest.mark.server
@pytest.mark.parametrize("path", ["/graphql", "/graphql/sse"])
def test_deep_json_to_a_graphql_endpoint_is_a_400_json_error(server, path):  # noqa: F811
    with server.client() as http:
        whole = http.post(
            path,
            content=DEEP,
            headers={**server.auth, "Content-Type": "application/json"},
        )
        inside = http.post(
            path,
            content='{"query": "{ __typename }", "variables": {"v": ' + DEEP + "}}",
            headers={**server.auth, "Content-Type": "application/json"},
        )

    # Before the fix: Django's HTML 500 page for both.
    _assert_graphql_json_error(whole)
    _assert_graphql_json_error(inside)


@pytest.mark.server
@pytest.mark.parametrize("path", ["/system/api/scripts", "/system/api/secrets"])
@pytest.mark.parametrize("depth", [100_000, 500])
def test_deep_json_to_the_rest_api_is_a_400_platform_error(server, path, depth):  # noqa: F811
    body = '{"name": "deep", "value": ' + "[" * depth + "]" * depth + "}"
    with server.client() as http:
        reply = http.post(
            path,
            content=body,
            headers={**server.auth, "Content-Type": "application/json"},
        )

    # Before the fix: 100,000 deep was Django's HTML 500 page; 500 deep parsed.
    assert reply.status_code == 400, (reply.status_code, reply.text[:300])
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()["error"]
    assert error["code"] == "bad_request"
    assert error["requestId"] == reply.headers["X-Request-Id"]
    assert "nested more than 100 levels deep" in error["message"]


@pytest.mark.server
async def test_deep_json_on_the_graphql_websocket_closes_it_with_4400(server):  # noqa: F811
    import websockets

    async with websockets.connect(
        f"ws://127.0.0.1:{server.port}/graphql/ws",
        subprotocols=["graphql-transport-ws"],
        open_timeout=WAIT,
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        await socket.send('{"type": "ping", "payload": ' + DEEP + "}")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), WAIT)

    assert ack["type"] == "connection_ack"
    # Before the fix: the consumer died of RecursionError (1011, server error).
    assert closed.value.rcvd.code == 4400


@pytest.mark.server
def test_execute_graphql_throws_on_variables_nested_too_deeply(amplifier):
    with httpx.Client(base_url=amplifier.url, timeout=30) as http:
        reply = http.get("/amp-deep-variables", headers=amplifier.auth)

    assert reply.status_code == 200, reply.text[:500]
    thrown = reply.json()["thrown"]
    assert thrown.startswith("TypeError: executeGraphQL: variables")
    assert "nested more than 100 levels deep" in thrown
