#!/usr/bin/env bash
# Runs the development site and one Celery worker with beat embedded (the periodic jobs: search
# outbox, embargo release, DOI sweep, heartbeat) in the foreground (`make run` calls this).
# Ctrl-C (or SIGTERM) stops both; if either one exits, the other is stopped too.
# Environment: HOST (default 127.0.0.1), PORT (default 8000), plus everything portal/settings.py reads.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# The demo's files live in the data dir; let the portal serve them unless told otherwise.
DATA_DIR=${FEDCAT_DATA_DIR:-var}
export DOWNLOAD_ROOTS=${DOWNLOAD_ROOTS:-$(cd "$DATA_DIR" && pwd)/demo-files}

set -m # job control: each child gets its own process group, so stopping it reaches its children
pids=()

# shellcheck source=scripts/processes.sh
source scripts/processes.sh  # the cd above made the repository the working directory
# runserver's reloader stops the server it runs; the worker finishes its task. 20 s at most.
stop() { stop_groups 20; }
trap 'echo; echo "Stopping web server and worker..."; stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

echo "Starting the Celery worker and the web server on http://$HOST:$PORT/ (Ctrl-C stops both)"
# --beat: one process runs the schedule too, enough for one machine (production runs beat apart).
"$VENV/bin/celery" -A portal worker --loglevel info --concurrency 2 \
    --beat --schedule "$DATA_DIR/celerybeat-schedule" &
pids+=("$!")
# Beat sends the first heartbeat only after one interval; /-/ready wants one now.
DJANGO_SETTINGS_MODULE=portal.settings "$VENV/bin/python" -c 'import django; django.setup(); from catalogue.tasks import worker_heartbeat as t; t.delay()' ||
    echo "could not queue the first worker heartbeat; /-/ready reports the worker once beat does"
"$VENV/bin/python" manage.py runserver "$HOST:$PORT" &
pids+=("$!")

# Returns as soon as one of them exits; the EXIT trap then stops the other.
status=0
wait -n || status=$?
echo "A process exited (status $status); stopping the other one."
exit "$status"
