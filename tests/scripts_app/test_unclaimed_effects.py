"""An effect no installed app applies refuses the invocation's writes (never dropped)."""

import pytest

from scripts_app.hosting import EffectRejected, Invocation, apply_effects
from storage_app.models import StoredItem


@pytest.mark.django_db
def test_an_effect_of_a_kind_no_app_claims_refuses_every_write(cast):
    invocation = Invocation(
        tenant=cast["acme"], script_id=1, script_name="s", kind="http"
    )
    effects = [
        {"kind": "storage.set", "data": {"scope": "shared", "key": "k", "value": "v"}},
        {"kind": "nobody.send", "data": {}},
    ]

    with pytest.raises(EffectRejected, match="'nobody.send'"):
        apply_effects(invocation, effects)
    assert not StoredItem.objects.exists()
