"""Operations: health checks (`/-/live`, `/-/ready`), Prometheus metrics (`/metrics`), JSON logs
with a request id that follows a request into the Celery tasks it schedules.

Add ``portal.observability`` to INSTALLED_APPS: its AppConfig connects the Celery signals.
"""
