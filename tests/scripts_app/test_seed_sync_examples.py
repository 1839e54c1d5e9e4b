"""The aiwebengine seed's examples, pasted verbatim, answer as the seed shows (R6).

Each function below is copied from ../shared/seeds/aiwebengine-javascript-api.md
without a character changed: no `await` added. Only what the seed leaves out is
added after it: the registerRoute lines, and for fetch, the seed's example host
`https://api.example.com` pointed at a local server that SCRIPT_FETCH_ALLOW
admits (the fetch itself is the seed's). The last tests run the same handlers
written with `await`, which must keep working.
"""

import json

import pytest

from storage_app.models import StoredItem
from tests.secrets_app.localserver import address, local_server
from tests.streams_app.dispatching import listener_runs, logs, put, shared

# -- Storage APIs: sharedStorage ------------------------------------------------

SHARED = """
function getCounter(context) {
  const count = sharedStorage.getItem("counter") || "0";
  return {
    status: 200,
    body: `Counter: ${count}`,
    contentType: "text/plain; charset=UTF-8",
  };
}

function incrementCounter(context) {
  const count = parseInt(sharedStorage.getItem("counter") || "0");
  const newCount = count + 1;
  sharedStorage.setItem("counter", newCount.toString());
  return {
    status: 200,
    body: `New count: ${newCount}`,
    contentType: "text/plain; charset=UTF-8",
  };
}

function resetCounter(context) {
  const removed = sharedStorage.removeItem("counter");
  return {
    status: 200,
    body: removed ? "Counter reset" : "Counter didn't exist",
    contentType: "text/plain; charset=UTF-8",
  };
}

routeRegistry.registerRoute("/counter", "getCounter", "GET");
routeRegistry.registerRoute("/counter/increment", "incrementCounter", "POST");
routeRegistry.registerRoute("/counter/reset", "resetCounter", "POST");
"""


def test_the_seeds_shared_storage_counter_answers_as_the_seed_shows(upload, api):
    assert upload("counter", SHARED).status_code == 201
    client = api(host="acme.test")

    before = client.get("/counter").content.decode()
    bumps = [client.post("/counter/increment").content.decode() for _ in range(3)]
    after = client.get("/counter").content.decode()
    reset = client.post("/counter/reset").content.decode()
    again = client.post("/counter/reset").content.decode()

    assert before == "Counter: 0"
    assert bumps == ["New count: 1", "New count: 2", "New count: 3"]
    assert after == "Counter: 3"
    assert (reset, again) == ("Counter reset", "Counter didn't exist")
    assert client.get("/counter").content.decode() == "Counter: 0"


# -- Storage APIs: personalStorage ----------------------------------------------

PERSONAL = """
function getUserPreference(context) {
  const req = context.request;
  const theme = personalStorage.getItem("theme") || "light";
  return {
    status: 200,
    body: JSON.stringify({ theme }),
    contentType: "application/json",
  };
}

function saveUserPreference(context) {
  const req = context.request;

  // Requires authentication
  if (!req.auth.isAuthenticated) {
    return {
      status: 401,
      body: "Authentication required",
      contentType: "text/plain; charset=UTF-8",
    };
  }

  const theme = req.form.theme || "light";
  const result = personalStorage.setItem("theme", theme);

  if (result.startsWith("Error:")) {
    return {
      status: 500,
      body: result,
      contentType: "text/plain; charset=UTF-8",
    };
  }

  return {
    status: 200,
    body: "Preference saved",
    contentType: "text/plain; charset=UTF-8",
  };
}

function clearUserPreference(context) {
  const removed = personalStorage.removeItem("theme");
  return {
    status: 200,
    body: removed ? "Preference cleared" : "No preference found",
    contentType: "text/plain; charset=UTF-8",
  };
}

routeRegistry.registerRoute("/pref", "getUserPreference", "GET");
routeRegistry.registerRoute("/pref", "saveUserPreference", "POST");
routeRegistry.registerRoute("/pref", "clearUserPreference", "DELETE");
"""


def test_the_seeds_personal_storage_examples_keep_each_users_value(upload, api):
    assert upload("prefs", PERSONAL).status_code == 201
    alice, bob, anonymous = (api(u, host="acme.test") for u in ("alice", "bob", None))

    saved = alice.post("/pref", {"theme": "dark"})
    assert (saved.status_code, saved.content) == (200, b"Preference saved")

    assert alice.get("/pref").json() == {"theme": "dark"}
    assert bob.get("/pref").json() == {"theme": "light"}
    assert anonymous.get("/pref").json() == {"theme": "light"}
    assert anonymous.post("/pref", {"theme": "x"}).status_code == 401
    assert bob.delete("/pref").content == b"No preference found"
    assert alice.delete("/pref").content == b"Preference cleared"
    assert alice.get("/pref").json() == {"theme": "light"}


# -- HTTP Fetch -------------------------------------------------------------------

FETCH = """
function fetchExample(req) {
  try {
    // Make a GET request
    const responseJson = fetch("https://api.example.com/data");
    const response = JSON.parse(responseJson);

    if (response.ok) {
      console.log("Fetch successful: " + response.status);
      return {
        status: 200,
        body: response.body,
        contentType: "application/json",
      };
    } else {
      return {
        status: response.status,
        body: "External API error",
        contentType: "text/plain; charset=UTF-8",
      };
    }
  } catch (error) {
    console.log("Fetch error: " + error);
    return { status: 500, body: "Request failed" };
  }
}

function createResource(req) {
  const requestData = {
    name: "New Item",
    description: "Created via API",
  };

  const options = JSON.stringify({
    method: "POST",
    headers: {
      "Content-Type": "application/json",
    },
    body: JSON.stringify(requestData),
  });

  const responseJson = fetch("https://api.example.com/items", options);
  const response = JSON.parse(responseJson);

  return {
    status: response.ok ? 200 : 502,
    body: response.body,
    contentType: "application/json",
  };
}

function robustFetch(req) {
  try {
    const responseJson = fetch("https://api.example.com/data");
    const response = JSON.parse(responseJson);

    // Handle different response statuses
    if (response.status === 200) {
      return { status: 200, body: response.body };
    } else if (response.status === 404) {
      return { status: 404, body: "Resource not found" };
    } else if (response.status === 429) {
      return { status: 429, body: "Rate limit exceeded" };
    } else {
      return { status: 502, body: "Upstream error" };
    }
  } catch (error) {
    // Fetch errors (network, timeout, blocked URL, etc.)
    console.log("Fetch failed: " + error);
    return { status: 500, body: "Request failed" };
  }
}

routeRegistry.registerRoute("/fetch/example", "fetchExample", "GET");
routeRegistry.registerRoute("/fetch/create", "createResource", "POST");
routeRegistry.registerRoute("/fetch/robust", "robustFetch", "GET");
"""


@pytest.fixture
def remote(settings):
    with local_server() as server:
        settings.SCRIPTS = {**settings.SCRIPTS, "FETCH_ALLOW": [address(server)]}
        yield server


def pointed_at(server, source):
    return source.replace("https://api.example.com", f"http://{address(server)}")


def test_the_seeds_fetch_examples_parse_the_json_string_fetch_returns(
    upload, api, remote
):
    assert upload("fetcher", pointed_at(remote, FETCH)).status_code == 201
    client = api(host="acme.test")

    example = client.get("/fetch/example")
    created = client.post("/fetch/create")
    robust = client.get("/fetch/robust")

    assert example.status_code == 200, example.content
    assert json.loads(example.content)["path"] == "/data"
    assert created.status_code == 200, created.content
    assert json.loads(created.content)["method"] == "POST"
    sent = remote.seen[1]
    assert (sent["path"], sent["headers"]["content-type"]) == (
        "/items",
        "application/json",
    )
    assert json.loads(sent["body"]) == {
        "name": "New Item",
        "description": "Created via API",
    }
    assert robust.status_code == 200, robust.content


def test_the_seeds_fetch_example_catches_a_blocked_url(upload, api):
    # No FETCH_ALLOW here: the local address is refused, and the seed's
    # try/catch turns the thrown error into its 500.
    with local_server() as server:
        assert upload("fetcher", pointed_at(server, FETCH)).status_code == 201
        reply = api(host="acme.test").get("/fetch/example")
        assert server.seen == []
    assert (reply.status_code, reply.content) == (500, b"Request failed")


# -- GraphQL: executeGraphQL ----------------------------------------------------------

GRAPHQL = """
function listScriptsHandler(req) {
  const query = `
    query {
      scripts {
        uri
        chars
      }
    }
  `;

  try {
    const resultJson = graphQLRegistry.executeGraphQL(query);
    const result = JSON.parse(resultJson);

    if (result.errors) {
      console.log("GraphQL errors: " + JSON.stringify(result.errors));
      return {
        status: 500,
        body: "GraphQL query failed",
        contentType: "text/plain; charset=UTF-8",
      };
    }

    return {
      status: 200,
      body: JSON.stringify(result.data),
      contentType: "application/json",
    };
  } catch (error) {
    console.log("executeGraphQL error: " + error);
    return {
      status: 500,
      body: "Internal error",
      contentType: "text/plain; charset=UTF-8",
    };
  }
}

function getScriptHandler(req) {
  const scriptUri = req.query.uri;

  if (!scriptUri) {
    return {
      status: 400,
      body: "Missing uri parameter",
      contentType: "text/plain; charset=UTF-8",
    };
  }

  const query = `
    query GetScript($uri: String!) {
      script(uri: $uri) {
        uri
        content
        contentLength
        logs
      }
    }
  `;

  const variables = JSON.stringify({
    uri: scriptUri,
  });

  const resultJson = graphQLRegistry.executeGraphQL(query, variables);
  const result = JSON.parse(resultJson);

  return {
    status: 200,
    body: JSON.stringify(result.data),
    contentType: "application/json",
  };
}

routeRegistry.registerRoute("/gql/scripts", "listScriptsHandler", "GET");
routeRegistry.registerRoute("/gql/script", "getScriptHandler", "GET");
"""


def test_the_seeds_execute_graphql_examples_parse_the_json_string(upload, api):
    assert upload("gql", GRAPHQL).status_code == 201
    client = api("alice", host="acme.test")  # the platform's fields need a member

    listed = client.get("/gql/scripts")
    one = client.get("/gql/script", {"uri": "gql"})

    assert listed.status_code == 200, listed.content
    scripts = json.loads(listed.content)["scripts"]
    assert {"uri": "gql", "chars": len(GRAPHQL)} in scripts
    assert one.status_code == 200, one.content
    found = json.loads(one.content)["script"]
    assert (found["uri"], found["content"]) == ("gql", GRAPHQL)
    assert found["contentLength"] == len(GRAPHQL)


# -- Message Dispatcher: the complete example --------------------------------------

USER_SERVICE = """
/**
 * User Service Script - Manages user accounts
 */

function createUser(context) {
  const req = context.request;
  const { username, email } = req.form;

  // Store user in database
  const userId = sharedStorage.getItem("nextUserId") || "1";
  sharedStorage.setItem("user:" + userId, JSON.stringify({ username, email }));
  sharedStorage.setItem("nextUserId", String(parseInt(userId) + 1));

  // Broadcast user creation event
  dispatcher.sendMessage(
    "user.created",
    JSON.stringify({
      userId: userId,
      username: username,
      email: email,
      timestamp: new Date().toISOString(),
    }),
  );

  return {
    status: 201,
    body: JSON.stringify({ success: true, userId: userId }),
    contentType: "application/json",
  };
}

function init(context) {
  routeRegistry.registerRoute("/users", "createUser", "POST");
  return { success: true };
}
"""

ANALYTICS = """
/**
 * Analytics Script - Tracks user activity
 */

function onUserCreated(context) {
  const userData = context.messageData;
  console.log(
    `Analytics: New user ${userData.username} created at ${userData.timestamp}`,
  );

  // Update metrics
  const totalUsers = parseInt(
    sharedStorage.getItem("metrics:totalUsers") || "0",
  );
  sharedStorage.setItem("metrics:totalUsers", String(totalUsers + 1));
}

function init(context) {
  // Listen for user creation events
  dispatcher.registerListener("user.created", "onUserCreated");
  return { success: true };
}
"""


def test_the_seeds_user_activity_system_counts_every_user(cast, upload, api, records):
    put(upload, "users", USER_SERVICE)
    put(upload, "analytics", ANALYTICS)
    client = api(host="acme.test")

    replies = [
        client.post("/users", {"username": name, "email": f"{name}@example.com"})
        for name in ("ann", "ben", "cat")
    ]

    assert [r.status_code for r in replies] == [201, 201, 201]
    assert [r.json()["userId"] for r in replies] == ["1", "2", "3"]
    assert shared(cast["acme"], "analytics", "metrics:totalUsers") == "3"
    assert json.loads(shared(cast["acme"], "users", "user:2")) == {
        "username": "ben",
        "email": "ben@example.com",
    }
    records()
    assert listener_runs("analytics").filter(status="ok").count() == 3
    said = [e.message for e in logs("analytics", "LOG").order_by("id")]
    assert [m.split(" created at ")[0] for m in said] == [
        f"Analytics: New user {name}" for name in ("ann", "ben", "cat")
    ]


DISPATCH_RESULT = """
function createUserHandler(context) {
  const result = dispatcher.sendMessage("user.created", JSON.stringify({ username: "x" }));
  console.log(`User creation event: ${result}`);
  return result;
}
routeRegistry.registerRoute("/stats", "createUserHandler", "POST");
"""


def test_send_message_returns_the_seeds_statistics_string(upload, api):
    put(upload, "analytics", ANALYTICS)
    put(upload, "stats", DISPATCH_RESULT)

    reply = api(host="acme.test").post("/stats")

    assert reply.content.decode() == (
        "Message 'user.created' delivered to 1 listener: 1 succeeded, 0 failed"
    )


# -- Conversion Functions -----------------------------------------------------------

MARKDOWN = r"""
function renderBlogPost(context) {
  const req = context.request;

  const markdown = `# My Blog Post

This is **bold** and *italic* text.

\`\`\`javascript
const hello = "world";
\`\`\`
`;

  const html = convert.markdown_to_html(markdown);

  if (html.startsWith("Error:")) {
    return { status: 500, body: html };
  }

  return {
    status: 200,
    body: `<!DOCTYPE html>
<html>
<head><title>Blog</title></head>
<body>${html}</body>
</html>`,
    contentType: "text/html; charset=UTF-8",
  };
}

routeRegistry.registerRoute("/blog", "renderBlogPost", "GET");
"""


def test_the_seeds_markdown_example_renders_html(upload, api):
    assert upload("blog", MARKDOWN).status_code == 201

    reply = api(host="acme.test").get("/blog")

    assert reply.status_code == 200, reply.content
    html = reply.content.decode()
    assert "<h1>My Blog Post</h1>" in html
    assert "<strong>bold</strong> and <em>italic</em>" in html
    assert "const hello" in html
    assert "[object Promise]" not in html


# -- The same handlers written with `await` keep working --------------------------------

AWAITED = """
async function counter(context) {
  const count = (await sharedStorage.getItem("counter")) || "0";
  sharedStorage.setItem("counter", String(parseInt(count) + 1));
  const removed = await sharedStorage.removeItem("missing");
  const html = await convert.markdown_to_html("*hi*");
  const result = JSON.parse(await graphQLRegistry.executeGraphQL("{ scripts { uri } }"));
  const sent = await dispatcher.sendMessage("nobody.listens", "{}");
  return { status: 200, body: { count, removed, html, uris: result.data.scripts.length, sent } };
}
routeRegistry.registerRoute("/awaited", "counter", "GET");
"""


def test_the_same_calls_written_with_await_still_work(cast, upload, api):
    assert upload("awaited", AWAITED).status_code == 201
    client = api("alice", host="acme.test")

    first = client.get("/awaited").json()
    second = client.get("/awaited").json()

    assert first == {
        "count": "0",
        "removed": False,
        "html": "<p><em>hi</em></p>",
        "uris": 1,
        "sent": "No listeners for message type 'nobody.listens'",
    }
    assert second["count"] == "1"
    assert StoredItem.objects.get(tenant=cast["acme"], key="counter").value == "2"


def test_a_then_chain_on_a_host_call_fails_with_a_clear_error(upload, api):
    source = """
    function chained(context) {
      return sharedStorage.getItem("k").then((v) => v);
    }
    routeRegistry.registerRoute("/chained", "chained", "GET");
    """
    assert upload("chained", source).status_code == 201

    reply = api(host="acme.test").get("/chained")

    # getItem returned null (no such key): null has no .then.
    assert reply.status_code == 500
    assert (
        "Cannot read properties of null (reading 'then')"
        in (reply.json()["error"]["message"])
    )
