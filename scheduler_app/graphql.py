"""The tenant's scheduled jobs in the platform's GraphQL schema (graphql_app.schema).

jobs(script: String): [Job!]   # soonest due first; one script's with `script`
"""

import graphene
from asgiref.sync import sync_to_async

from graphql_app.access import readable_tenant
from scheduler_app.models import Job as JobRow
from scheduler_app.schedule import describe


class Job(graphene.ObjectType):
    """A job a script registered (schedulerService) or declared (@cron)."""

    id = graphene.ID(required=True, description="The job's id (a UUID).")
    script = graphene.String(required=True, description="The script's id.")
    name = graphene.String(required=True)
    handler = graphene.String(required=True)
    type = graphene.String(required=True, description="one-off, recurring or cron")
    schedule = graphene.String(required=True, description="The schedule in words.")
    run_at = graphene.DateTime()
    interval_seconds = graphene.Int()
    start_at = graphene.DateTime()
    cron = graphene.String()
    timezone = graphene.String()
    from_header = graphene.Boolean(required=True)
    enabled = graphene.Boolean(required=True)
    next_run_at = graphene.DateTime(description="Null: it will not run again.")
    running = graphene.Boolean(required=True)
    last_run_at = graphene.DateTime()
    last_status = graphene.String()
    last_execution = graphene.ID()
    run_count = graphene.Int(required=True)
    skip_count = graphene.Int(required=True)

    @staticmethod
    def resolve_id(job, info):
        return str(job.id)

    @staticmethod
    def resolve_script(job, info):
        return job.script.name

    @staticmethod
    def resolve_schedule(job, info):
        return describe(job)

    @staticmethod
    def resolve_running(job, info):
        return job.running_execution is not None

    @staticmethod
    def resolve_last_execution(job, info):
        return str(job.last_execution) if job.last_execution else None


class JobQuery(graphene.ObjectType):
    """The Query fields of the scheduler (a base of graphql_app.schema.Query)."""

    jobs = graphene.List(
        graphene.NonNull(Job),
        script=graphene.String(description="Only this script's jobs."),
        description="The tenant's scheduled jobs, soonest due first.",
    )

    @staticmethod
    async def resolve_jobs(root, info, script=None):
        # The schema runs on the event loop; the ORM in a worker thread.
        return await sync_to_async(_jobs)(info, script)


def _jobs(info, script):
    jobs = JobRow.objects.filter(tenant=readable_tenant(info)).select_related("script")
    if script:
        jobs = jobs.filter(script__name=script)
    return list(jobs)
