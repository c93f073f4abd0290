#!/usr/bin/env bash
# Runs fedcat as in production on this machine: gunicorn, one Celery worker and celery beat,
# against PostgreSQL and Redis, with DEBUG off and JSON logs. Ctrl-C (or SIGTERM) stops all three;
# if one of them exits, the others are stopped too.
#
# Before starting it creates the database if it is missing, writes a SECRET_KEY into the data dir
# (once), applies the migrations, collects the static files and runs `manage.py check --deploy`.
# Nothing serves STATIC_ROOT here: put nginx in front (docker/nginx.conf) for the admin's CSS.
#
# Environment (defaults in brackets), plus everything portal/settings.py reads:
#   FEDCAT_DATA_DIR [var/prod]   DATABASE_URL [postgres://postgres@127.0.0.1:5432/fedcat]
#   CELERY_BROKER_URL [redis://127.0.0.1:6379/0]   HOST [127.0.0.1]   PORT [8000]
#   ALLOWED_HOSTS [localhost,127.0.0.1,[::1]]   LOG_FORMAT [json]   ACCESS_LOG [true]
#   GUNICORN_WORKERS [3]   WORKER_CONCURRENCY [2]
#   PROMETHEUS_MULTIPROC_DIR [$FEDCAT_DATA_DIR/metrics, emptied at start]: shared by gunicorn
#   and the worker, so /metrics shows the task counters too.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
export DJANGO_SETTINGS_MODULE=portal.settings
export DEBUG=false
export FEDCAT_DATA_DIR=${FEDCAT_DATA_DIR:-$PWD/var/prod}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/fedcat}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]}
export LOG_FORMAT=${LOG_FORMAT:-json}
export ACCESS_LOG=${ACCESS_LOG:-true}
export DATABASE_CONN_MAX_AGE=${DATABASE_CONN_MAX_AGE:-60}
export HOST=${HOST:-127.0.0.1}
export PORT=${PORT:-8000}
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-3}
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$FEDCAT_DATA_DIR/metrics}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-2}

mkdir -p "$FEDCAT_DATA_DIR"
# One key for all three processes, written before any of them starts (each would make its own).
if [ -z "${SECRET_KEY:-}" ] && [ ! -s "$FEDCAT_DATA_DIR/secret_key" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' \
        >"$FEDCAT_DATA_DIR/secret_key")
fi
rm -rf "$PROMETHEUS_MULTIPROC_DIR"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

"$PY" - <<'EOF'
"""Creates the PostgreSQL database named in DATABASE_URL if it does not exist."""
import os

import dj_database_url
import psycopg
from psycopg import sql

config = dj_database_url.parse(os.environ["DATABASE_URL"])
if config["ENGINE"] == "django.db.backends.postgresql":
    params = {"host": config["HOST"], "port": config["PORT"], "user": config["USER"],
              "password": config["PASSWORD"], "dbname": "postgres", "connect_timeout": 10}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        name = config["NAME"]
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
EOF
"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
"$PY" manage.py check --deploy --fail-level ERROR

set -m # job control: each child gets its own process group, so stopping it reaches its children
pids=()
# shellcheck source=scripts/processes.sh
source scripts/processes.sh  # the cd above made the repository the working directory
# gunicorn finishes its requests, the worker its tasks, beat saves its state. 30 s at most.
stop() { stop_groups 30; }
trap 'echo; echo "Stopping gunicorn, the worker and beat..."; stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

echo "Starting the Celery worker, celery beat and gunicorn on http://$HOST:$PORT/"
# --loglevel: Celery sets the root logger's level from it (the handlers are Django's LOGGING).
"$VENV/bin/celery" -A portal worker --loglevel "${LOG_LEVEL:-INFO}" \
    --concurrency "$WORKER_CONCURRENCY" --hostname "fedcat-$PORT@%h" &
pids+=("$!")
"$VENV/bin/celery" -A portal beat --loglevel "${LOG_LEVEL:-INFO}" \
    --schedule "$FEDCAT_DATA_DIR/celerybeat-schedule" &
pids+=("$!")
"$VENV/bin/gunicorn" -c gunicorn.conf.py portal.wsgi &
pids+=("$!")
# Beat sends the first heartbeat only after one interval; /-/ready needs one now.
"$PY" -c 'import django; django.setup(); from catalogue.tasks import worker_heartbeat as t; t.delay()'

status=0
wait -n || status=$?
echo "A process exited (status $status); stopping the others."
exit "$status"
