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

stop() {
    trap - INT TERM EXIT
    local pid
    # The main processes first: the worker finishes its task and stops its pool (warm shutdown),
    # runserver's reloader stops the server it runs.
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Wait for each whole process group to go; whatever is left after 20 s is killed.
    for _ in $(seq 1 40); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 -- "-$pid" 2>/dev/null && alive=1
        done
        [ "$alive" = 0 ] && return 0
        sleep 0.5
    done
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
}
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
