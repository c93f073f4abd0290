# Sourced by run.sh and prod.sh: stopping the process groups they started (their pids in `pids`).
# Each child runs in its own process group (`set -m`), so a signal reaches its children too.

# stop_groups SECONDS: SIGTERM to each main process (warm shutdown: requests and tasks finish,
# beat saves its state), then waits up to SECONDS for every whole group to go and SIGKILLs what
# is left.
stop_groups() {
    trap - INT TERM EXIT
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 $(($1 * 2))); do
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
