"""A handler's schedulerService calls, applied once its invocation succeeded (R5).

At load time the calls are registrations the upload stores; from a handler
they are effects: "scheduler.register" {name, handler, type, ...} creates or
overwrites one job, "scheduler.clear" removes the jobs the script registered
(its @cron header's stays). They last until the script's next upload, which
replaces the set. The host checks here what the script could not: that it
is privileged, that a cron expression and zone are valid, and the count.
"""

from django.utils import timezone

from core.conf import scripts_setting
from scheduler_app.models import Job
from scheduler_app.registry import JobInvalid, clear, put, spec_of
from scripts_app.hosting import EffectRejected
from scripts_app.models import Script


def apply(invocation, effects: list[dict]) -> None:
    if not effects:
        return
    script = Script.objects.select_related("tenant").get(pk=invocation.script_id)
    if not script.privileged:
        raise EffectRejected(
            f"schedulerService: only privileged scripts may schedule jobs, and script "
            f"'{script.name}' is not privileged; nothing of this run was applied"
        )
    now = timezone.now()
    limit = scripts_setting("MAX_REGISTRATIONS_PER_SCRIPT")
    for effect in effects:
        if effect.get("kind") == "scheduler.clear":
            clear(script)
            continue
        try:
            spec = spec_of(effect.get("data") or {})
        except JobInvalid as exc:
            raise EffectRejected(f"schedulerService: {exc}") from None
        exists = Job.objects.filter(script=script, name=spec.name).exists()
        if not exists and Job.objects.filter(script=script).count() >= limit:
            raise EffectRejected(
                f"schedulerService: script '{script.name}' has {limit:,} jobs, the "
                "most a script may have (SCRIPT_MAX_REGISTRATIONS_PER_SCRIPT)"
            )
        put(script, spec, now)
