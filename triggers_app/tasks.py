"""Post-processing scripts on the scaled stack: a Celery task per store request.

The serving process sends what the runs need (triggers_app.runtime's
payload) once the response has gone; a worker runs them in its background
loop (core.background), one after another, like the serving process would.
"""

from celery import shared_task

from core import background


@shared_task(name="triggers.post_process", ignore_result=True)
def post_process(payload: dict) -> None:
    from triggers_app.runtime import post_process_payload

    # Wait for the runs: the worker takes its next message once they are
    # over, so post-processing spreads over the workers as they free up.
    background.submit(lambda: post_process_payload(payload)).result()
