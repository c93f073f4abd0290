"""`python -m tests.policies.celery_clock worker|beat ...`: Celery for the end-to-end test of
the policy jobs (test_release_e2e.py), with two test-only twists taken from the environment:

- FEDCAT_TEST_QUEUE: the one queue tasks are sent to and consumed from (beat included), so
  the test's processes never meet another run's messages on a shared Redis;
- FEDCAT_TEST_CLOCK_DAYS: the worker's clock (django.utils.timezone.now) runs this many days
  ahead, so jobs see embargoes end without anybody waiting for them;
- FEDCAT_TEST_MAIL_DIR: e-mails are written there as files.

The beat schedule is the site's policy jobs, every second.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta


def _shift_clock(days: float) -> None:
    from django.utils import timezone

    real_now = timezone.now
    timezone.now = lambda: real_now() + timedelta(days=days)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if days := float(os.environ.get("FEDCAT_TEST_CLOCK_DAYS") or 0):
        _shift_clock(days)
    from django.conf import settings

    if mail_dir := os.environ.get("FEDCAT_TEST_MAIL_DIR"):
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = mail_dir
    settings.EMBARGO_NOTICE_DAYS = 30

    from portal.celery import app

    queue = os.environ["FEDCAT_TEST_QUEUE"]
    app.conf.task_default_queue = queue
    app.conf.beat_schedule = {
        "release": {"task": "catalogue.tasks.embargo_release_due", "schedule": 1.0},
        "grants": {"task": "catalogue.tasks.access_grants_expire", "schedule": 1.0},
    }
    app.conf.beat_max_loop_interval = 1.0
    app.start(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
