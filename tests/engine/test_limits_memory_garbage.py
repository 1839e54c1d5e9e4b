"""Garbage a warm context leaves behind never counts as the script's memory (R8)."""

from engine import Limits
from tests.engine.harness import make_context

# Every call replaces one of 50 slots: about 4 MB stays live, and what each call
# drops has lived long enough to sit in V8's old generation until a full
# collection, which V8 is in no hurry to run.
CHURN = """
var ring = [], n = 0;
function h(c) {
  const block = [];
  for (let i = 0; i < 2000; i++) block.push({ i: i, s: "item " + i });
  ring[n++ % 50] = block;
  return n;
}
"""


async def test_a_warm_context_churning_old_objects_stays_within_its_limit(script):
    s = script(CHURN)
    limits = Limits.of(5, 20)
    for expected in range(1, 1501):
        outcome = await s.engine.invoke(s.key, "h", make_context(), limits, s.load)
        assert outcome.error is None, (expected, outcome.error.as_dict())
        assert outcome.value == expected
    assert s.loads == 1
