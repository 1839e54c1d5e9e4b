"""The Celery app of the scaled stack: workers and beat run scheduled jobs.

    celery -A config worker --pool solo   # as many as wanted
    celery -A config beat                 # django-celery-beat's DatabaseScheduler

Its settings are the CELERY_* names of config/settings.py (the broker is
REDIS_URL). The embedded stack needs none of this: its serving process runs
the same job code (scheduler_app.embedded).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("scripthost")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
