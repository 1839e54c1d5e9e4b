"""Run a management command in-process; return (stdout, stderr)."""

from io import StringIO

from django.core.management import call_command


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()
