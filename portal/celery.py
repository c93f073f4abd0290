"""The Celery application. The broker comes from settings (Redis, or the filesystem default)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("fedcat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
