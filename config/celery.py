"""The Celery app. Configured from Django settings (CELERY_*); tasks are found in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Our Django fix-up: Celery's own, but the connection pool outlives each task (config/celery_fixup.py).
app = Celery("concilia", fixups=["config.celery_fixup:fixup"])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
