"""Apply stream sends of a successful invocation (placeholder until streams land)."""

from scripts_app.hosting import EffectRejected


def apply(invocation, effects: list[dict]) -> None:
    if effects:
        raise EffectRejected("streams are not available yet")
