"""Visibility: internal (own executeGraphQL), engine (the tenant's), external (+ /graphql)."""

import pytest

from tests.graphql_app.conftest import runner

COUNTS = """
function count(context) { return 7; }
graphQLRegistry.registerQuery("secretCount", "type Query { secretCount: Int }", "count", "internal");
graphQLRegistry.registerQuery("sharedCount", "type Query { sharedCount: Int }", "count", "engine");
graphQLRegistry.registerQuery("publicCount", "type Query { publicCount: Int }", "count", "external");
"""
CANNOT = "Cannot query field '{}' on type 'Query'."


@pytest.fixture
def scripts(upload):
    assert upload("owner", runner("/owner-run", COUNTS)).status_code == 201
    assert upload("other", runner("/other-run")).status_code == 201


def errors_of(response):
    return [e["message"] for e in response.json().get("errors", [])]


def unknown(response, field):
    """True if the one error says the field is not in the caller's schema."""
    (message,) = errors_of(response)
    return message.startswith(CANNOT.format(field))


def test_internal_is_for_executegraphql_of_the_same_script(scripts, run_query):
    mine = run_query("/owner-run", "{ secretCount }")

    assert mine.json() == {"data": {"secretCount": 7}}


def test_internal_is_hidden_from_other_scripts_and_graphql(scripts, run_query, graphql):
    other = run_query("/other-run", "{ secretCount }")
    http = graphql("{ secretCount }")

    assert unknown(other, "secretCount")
    assert "data" not in other.json()
    assert http.status_code == 400
    assert unknown(http, "secretCount")


def test_engine_is_for_executegraphql_of_any_script(scripts, run_query):
    other = run_query("/other-run", "{ sharedCount }")
    mine = run_query("/owner-run", "{ sharedCount }")

    assert other.json() == mine.json() == {"data": {"sharedCount": 7}}


def test_engine_is_hidden_from_graphql(scripts, graphql):
    http = graphql("{ sharedCount }")

    assert http.status_code == 400
    assert unknown(http, "sharedCount")


def test_external_is_on_graphql_and_for_every_script(scripts, run_query, graphql):
    http = graphql("{ publicCount }")
    other = run_query("/other-run", "{ publicCount }")

    assert http.json() == other.json() == {"data": {"publicCount": 7}}


def test_external_on_graphql_needs_a_signed_in_user(scripts, graphql, run_query):
    anonymous = graphql("{ publicCount }", user=None)
    # Scripts may call it whoever their caller is.
    from_script = run_query("/other-run", "{ publicCount }", user=None)

    (error,) = anonymous.json()["errors"]
    assert anonymous.json()["data"] == {"publicCount": None}
    assert error["message"].startswith("Authentication required")
    assert error["extensions"]["code"] == "not_authenticated"
    assert error["path"] == ["publicCount"]
    assert from_script.json() == {"data": {"publicCount": 7}}


def test_a_user_without_a_role_may_call_external_operations(scripts, graphql):
    assert graphql("{ publicCount }", user="dave").json() == {
        "data": {"publicCount": 7}
    }


def test_the_tenant_setting_opens_external_operations_to_anyone(scripts, graphql, cast):
    cast["acme"].graphql_public = True
    cast["acme"].save()

    anonymous = graphql("{ publicCount scripts { uri } }", user=None).json()

    assert anonymous["data"] == {"publicCount": 7, "scripts": None}
    # The platform's own fields keep their rules.
    assert [e["path"] for e in anonymous["errors"]] == [["scripts"]]


def test_introspection_shows_each_caller_what_it_may_call(scripts, run_query, graphql):
    query = "{ __schema { queryType { fields { name } } } }"

    def names(response):
        fields = response.json()["data"]["__schema"]["queryType"]["fields"]
        platform = {"scripts", "script", "executions", "execution"}
        return {f["name"] for f in fields} - platform

    assert names(graphql(query)) == {"publicCount"}
    assert names(run_query("/other-run", query)) == {"publicCount", "sharedCount"}
    assert names(run_query("/owner-run", query)) == {
        "publicCount",
        "sharedCount",
        "secretCount",
    }


def test_another_tenants_operations_are_invisible(scripts, upload, graphql, run_query):
    upload("theirs", runner("/their-run"), user="erin", host="globex.test")

    http = graphql("{ publicCount }", user="erin", host="globex.test")
    script = run_query("/their-run", "{ sharedCount }", host="globex.test")

    assert unknown(http, "publicCount")
    assert unknown(script, "sharedCount")


def test_two_tenants_may_serve_the_same_field_each_their_own(scripts, upload, graphql):
    theirs = COUNTS.replace("return 7", "return 9")
    assert upload("counts", theirs, user="erin", host="globex.test").status_code == 201

    acme = graphql("{ publicCount }")
    globex = graphql("{ publicCount }", user="erin", host="globex.test")

    assert acme.json() == {"data": {"publicCount": 7}}
    assert globex.json() == {"data": {"publicCount": 9}}


def test_a_disabled_script_serves_no_operations(scripts, graphql):
    from scripts_app.models import Script

    script = Script.objects.get(name="owner")
    script.enabled = False
    script.save()

    assert unknown(graphql("{ publicCount }"), "publicCount")
