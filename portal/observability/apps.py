from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "portal.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # Both modules connect Celery signal receivers when imported, in the web process (publish)
        # and in the worker (task start and end).
        from portal.observability import logging, metrics  # noqa: F401
