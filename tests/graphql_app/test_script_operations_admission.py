"""A resolver past its tenant's cap of running invocations is a GraphQL error (R9)."""

from tests.graphql_app.conftest import SEED_USERS, runner
from tests.scripts_app.admitting import held

MESSAGE = (
    "Too many script invocations at once: this tenant already runs {n}, and its "
    "limit is {n} (SCRIPT_MAX_CONCURRENT_PER_TENANT); nothing was run. Try again "
    "in 1 s."
)


def cap(settings, n):
    settings.SCRIPTS = {**settings.SCRIPTS, "MAX_CONCURRENT_PER_TENANT": n}


def test_a_resolver_past_the_cap_answers_an_error_with_the_message(
    cast, upload, graphql, settings
):
    cap(settings, 2)
    upload("users", SEED_USERS)

    with held(cast["acme"]):
        response = graphql("{ users { name } }")

    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["message"] == MESSAGE.format(n=2)
    assert error["extensions"] == {"code": "script_overloaded"}
    assert error["path"] == ["users"]


def test_a_resolver_run_by_a_script_at_the_cap_is_refused(
    cast, upload, run_query, settings
):
    cap(settings, 1)  # the calling route holds the only slot
    upload("users", SEED_USERS)
    upload("caller", runner("/run"))

    response = run_query("/run", "{ users { name } }")

    (error,) = response.json()["errors"]
    assert error["message"] == MESSAGE.format(n=1)
