"""gunicorn settings for fedcat: ``gunicorn -c gunicorn.conf.py portal.wsgi``.

Environment (defaults in brackets):
  GUNICORN_BIND [HOST:PORT, i.e. 127.0.0.1:8000]   GUNICORN_WORKERS [2 × cores + 1, at most 8]
  GUNICORN_THREADS [1]    GUNICORN_TIMEOUT [60 s]    FORWARDED_ALLOW_IPS [127.0.0.1]
  GUNICORN_WORKER_CLASS [gthread]: the sync worker stops its heartbeat while it answers, so
  the arbiter kills it in the middle of any download longer than GUNICORN_TIMEOUT (a zip of a
  large dataset over a slow link); gthread's main thread keeps beating, even with one thread.
  LOG_FORMAT [text]: json makes gunicorn's own lines JSON too, like Django's.
  PROMETHEUS_MULTIPROC_DIR: where the worker processes keep their metrics so that /metrics adds
  them up. If unset, a fresh temporary directory (removed at exit); set it to a directory that
  the Celery worker shares to see both in one scrape (scripts/prod.sh does), and empty it before
  starting (values left there from an earlier run would be counted again).

Requests are logged by Django (ACCESS_LOG=true, with the request id), not by gunicorn.
"""

import os
import shutil
import tempfile

_created_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Set before the app is imported (the workers import it after forking), as prometheus-client
    # reads it when imported.
    _created_metrics_dir = tempfile.mkdtemp(prefix="fedcat-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_metrics_dir
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

_host = os.environ.get("HOST", "127.0.0.1")
bind = os.environ.get("GUNICORN_BIND") or f"{_host}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 8))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# A worker is replaced after about this many requests, so a slow leak never grows for long.
max_requests = 2000
max_requests_jitter = 200
# Proxies whose X-Forwarded-* headers gunicorn trusts ("*" inside a container network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The heartbeat file workers touch: memory, not an overlay filesystem that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "fedcat-web"
# gunicorn >= 25.1 opens a control socket at one fixed path per user: two sites on one machine
# would share it. Nothing here uses it.
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portal.observability.logging.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["console"],
                "propagate": False,
            },
            # Django logs each request, with its id; gunicorn's line would repeat it.
            "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
        },
    }


def child_exit(server, worker):
    """A dead worker's live gauges no longer count (its counters and histograms still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_metrics_dir:
        shutil.rmtree(_created_metrics_dir, ignore_errors=True)
