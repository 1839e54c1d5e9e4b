"""Reading the tenant's scripts through /graphql: scripts, script(uri), logs."""

from datetime import timedelta

from django.utils import timezone

from scripts_app.models import LogEntry, Script
from tests.conftest import HELLO
from tests.graphql_app.conftest import SCRIPT, SCRIPTS

NON_ASCII = 'var greeting = "héllo wörld ✓";\n'


def test_scripts_lists_the_tenants_scripts_with_uri_and_chars(graphql, upload):
    upload("hello", HELLO)
    upload("zeta", "var z = 1;\n")

    response = graphql(SCRIPTS)

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "scripts": [
                {"uri": "hello", "chars": len(HELLO)},
                {"uri": "zeta", "chars": len("var z = 1;\n")},
            ]
        }
    }


def test_scripts_is_empty_for_a_tenant_without_scripts(graphql, cast):
    assert graphql(SCRIPTS).json() == {"data": {"scripts": []}}


def test_script_returns_content_and_sizes(graphql, upload):
    upload("greeting", NON_ASCII)
    upload("greeting", NON_ASCII + "var again = 2;\n")
    source = NON_ASCII + "var again = 2;\n"

    script = graphql(SCRIPT, {"uri": "greeting"}).json()["data"]["script"]

    assert script == {
        "uri": "greeting",
        "content": source,
        "contentLength": len(source.encode("utf-8")),
        "chars": len(source),
        "version": 2,
        "logs": [],
    }
    # Characters and bytes differ for this source: each field says which it counts.
    assert script["contentLength"] > script["chars"]


def test_a_missing_script_is_null_without_errors(graphql, cast):
    assert graphql(SCRIPT, {"uri": "nope"}).json() == {"data": {"script": None}}


def test_logs_are_the_scripts_messages_oldest_first(graphql, upload, api, records):
    upload(
        "hello",
        'console.log("loaded");\n' + HELLO,
    )
    assert api().get("/hello?name=Ada", HTTP_HOST="acme.test").status_code == 200
    assert api().get("/hello?name=Bob", HTTP_HOST="acme.test").status_code == 200
    records()

    logs = graphql(SCRIPT, {"uri": "hello"}).json()["data"]["script"]["logs"]

    assert logs == ["loaded", "hello Ada", "hello Bob"]


def test_logs_keep_the_newest_hundred_and_take_a_limit(graphql, upload, cast):
    upload("chatty", "var c = 1;\n")
    script = Script.objects.get(name="chatty")
    start = timezone.now()
    LogEntry.objects.bulk_create(
        LogEntry(
            tenant=cast["acme"],
            script=script,
            script_name="chatty",
            level="LOG",
            message=f"message {i}",
            time=start + timedelta(seconds=i),
        )
        for i in range(105)
    )
    query = """
    { script(uri: "chatty") { all: logs last3: logs(limit: 3) none: logs(limit: 0) } }
    """

    script = graphql(query).json()["data"]["script"]

    assert script["all"] == [f"message {i}" for i in range(5, 105)]
    assert script["last3"] == ["message 102", "message 103", "message 104"]
    assert script["none"] == []


def test_logs_of_another_tenants_script_of_the_same_id_stay_there(
    graphql, upload, cast, records
):
    upload("hello", HELLO)
    upload("hello", HELLO, user="erin", host="globex.test")
    LogEntry.objects.create(
        tenant=cast["globex"],
        script_name="hello",
        level="LOG",
        message="globex only",
        time=timezone.now(),
    )

    acme = graphql(SCRIPT, {"uri": "hello"}).json()["data"]["script"]["logs"]
    globex = graphql(SCRIPT, {"uri": "hello"}, user="erin", host="globex.test")

    assert acme == []
    assert globex.json()["data"]["script"]["logs"] == ["globex only"]


def test_a_query_runs_over_get_too(api, upload):
    upload("hello", HELLO)

    response = api("alice").get(
        "/graphql", {"query": SCRIPTS}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "data": {"scripts": [{"uri": "hello", "chars": len(HELLO)}]}
    }


def test_the_path_with_a_trailing_slash_is_the_same_endpoint(graphql, upload):
    upload("hello", HELLO)

    response = graphql("{ scripts { uri } }", path="/graphql/")

    assert response.json() == {"data": {"scripts": [{"uri": "hello"}]}}


def test_a_tenant_path_prefix_scopes_the_schema(graphql, upload, root_script_prefix):
    upload("hello", HELLO)
    upload("globex-only", "var g = 1;\n", user="erin", host="globex.test")

    response = graphql(
        "{ scripts { uri } }", user="erin", host="localhost", path="/t/globex/graphql"
    )

    assert response.json() == {"data": {"scripts": [{"uri": "globex-only"}]}}


def test_a_query_with_a_syntax_error_is_a_400_with_the_location(graphql, cast):
    response = graphql("{ scripts { uri }")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert "Syntax Error" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 18}]
