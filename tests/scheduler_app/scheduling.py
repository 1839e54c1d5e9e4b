"""Helpers of the scheduler tests: privileged scripts, uploads, the jobs they got."""

from scheduler_app.models import Job
from scripts_app.models import Script


def privileged(tenant, name):
    """A placeholder script an administrator has marked privileged."""
    return Script.objects.create(
        tenant=tenant, name=name, source="var placeholder;", privileged=True
    )


def jobs(name, tenant=None):
    """{job name: Job} of script `name`."""
    rows = Job.objects.filter(script__name=name)
    if tenant is not None:
        rows = rows.filter(tenant=tenant)
    return {j.name: j for j in rows}


def put(upload, name, source, status=(200, 201)):
    """Upload through PUT /system/scripts/<name>; return the answer's JSON."""
    reply = upload(name, source)
    assert reply.status_code in status, reply.content
    return reply.json()
