# The Celery app, loaded with Django so that tasks sent from any process
# (scheduler_app.tasks) go to the configured broker (config/celery.py).
from config.celery import app as celery_app

__all__ = ("celery_app",)
