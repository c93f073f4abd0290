"""Short, bounded looks at the Celery broker for the readiness check and the queue-length gauge.

Reads CELERY_BROKER_URL from Django's settings each time (not from the Celery app's cached
configuration), so a changed setting is seen at once.
"""

from __future__ import annotations

from django.conf import settings
from kombu import Connection
from kombu.exceptions import ChannelError

DEFAULT_QUEUE = "celery"


def connection(timeout: float) -> Connection:
    """A broker connection that gives up after `timeout` seconds instead of retrying."""
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    options.update(socket_connect_timeout=timeout, socket_timeout=timeout, max_retries=0)
    return Connection(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    )


def ping(timeout: float) -> None:
    """Raises if the broker cannot be reached within about `timeout` seconds."""
    with connection(timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        conn.default_channel  # noqa: B018 - Redis pings the server when a channel opens


def queue_names() -> list[str]:
    names = [getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", None) or DEFAULT_QUEUE]
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        name = getattr(queue, "name", queue)
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def queue_lengths(timeout: float) -> dict[str, int]:
    """Messages waiting in each of fedcat's queues (a queue never used counts as empty)."""
    lengths = {}
    with connection(timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        channel = conn.default_channel
        for name in queue_names():
            try:
                lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:  # Redis: the queue's list does not exist until a message comes
                lengths[name] = 0
    return lengths
