"""A sent fetch marks its invocation irreversible, so it is never run again."""

import pytest

from scripts_app.hosting import Invocation
from secrets_app.ops import script_ops
from tests.secrets_app.localserver import address, local_server


def invocation(cast):
    return Invocation(tenant=cast["acme"], script_id=1, script_name="s", kind="http")


@pytest.mark.django_db
async def test_a_completed_fetch_marks_the_invocation_irreversible(cast, settings):
    with local_server() as server:
        settings.SCRIPTS = {**settings.SCRIPTS, "FETCH_ALLOW": [address(server)]}
        run = invocation(cast)

        response = await script_ops(run)["fetch"](f"http://{address(server)}/echo")

    assert response["status"] == 200
    assert run.irreversible is True


@pytest.mark.django_db
async def test_a_refused_fetch_sends_nothing_and_leaves_the_invocation_reversible(
    cast,
):
    from engine import HostError

    run = invocation(cast)

    with pytest.raises(HostError, match="loopback"):
        await script_ops(run)["fetch"]("http://127.0.0.1/")

    assert run.irreversible is False


@pytest.mark.django_db
async def test_a_fetch_that_fails_after_connecting_is_still_irreversible(
    cast, settings
):
    from engine import HostError

    with local_server() as server:
        settings.SCRIPTS = {
            **settings.SCRIPTS,
            "FETCH_ALLOW": [address(server)],
            "FETCH_MAX_BYTES": 10,
        }
        run = invocation(cast)

        with pytest.raises(HostError, match="cut off"):
            await script_ops(run)["fetch"](f"http://{address(server)}/big?bytes=11")

    assert run.irreversible is True


@pytest.mark.django_db
async def test_an_invocation_without_fetch_stays_reversible(cast):
    run = invocation(cast)

    script_ops(run)

    assert run.irreversible is False
