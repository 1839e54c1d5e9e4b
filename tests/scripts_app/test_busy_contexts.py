"""A call that waited out its time limit for a free context answers 503 with Retry-After.

The waiting itself is the engine's (tests/engine/test_pool_concurrency.py:
test_a_call_that_waits_too_long_for_a_context_says_the_script_is_busy); this
is what HTTP makes of it, on both paths (they share reply_for).
"""

from engine import Outcome, ScriptBusy
from scripts_app.http import reply_for
from scripts_app.routing import RouteTarget

TARGET = RouteTarget(1, "busy", 1, "quick", "/quick")


def test_a_busy_script_answers_503_with_retry_after_and_the_engines_message():
    message = "All 8 contexts of this script stayed busy for 20 s; try again later"

    reply = reply_for(Outcome(error=ScriptBusy(message)), TARGET, "req-1")

    assert reply.status == 503
    assert ("Retry-After", "1") in reply.headers
    assert b'"code": "script_busy"' in reply.body
    assert message.encode() in reply.body
    assert b'"requestId": "req-1"' in reply.body
