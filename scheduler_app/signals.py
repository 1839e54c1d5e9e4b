"""Keep a script's jobs in step with whether it may run them.

A job runs only while its script is enabled and privileged. Disabling the
script (or taking its privilege away) disables its jobs but keeps them, with
their history; enabling it again re-enables them as they were registered:
a recurring or cron job resumes at its next slot after now (the slots it
missed are not made up, as after downtime), and a one-off that has not run
yet runs (at once, if its time went by). Deleting the script deletes its jobs
(the foreign key cascades).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from scheduler_app.models import Job, JobType
from scheduler_app.registry import runs
from scheduler_app.schedule import initial_next_run, next_run
from scripts_app.models import Script


@receiver(post_save, sender=Script)
def script_saved(sender, instance, created, update_fields=None, **kwargs):
    if created:
        return  # no jobs yet: the upload stores them after this save
    if update_fields is not None and not {"enabled", "privileged"} & set(update_fields):
        return
    active = runs(instance)
    now = timezone.now()
    for job in Job.objects.filter(script=instance).exclude(enabled=active):
        job.enabled = active
        if active:
            if job.type != JobType.ONE_OFF:
                job.next_run_at = next_run(job, now)
            elif job.last_run_at is None and job.running_execution is None:
                job.next_run_at = initial_next_run(job, now)
        job.save(update_fields=["enabled", "next_run_at", "updated_at"])
