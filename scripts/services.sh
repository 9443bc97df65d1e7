#!/usr/bin/env bash
# Start or stop the PostgreSQL and Redis servers the tests use, on 127.0.0.1 only.
# Usage: scripts/services.sh start|stop|env
# `start` prints nothing but errors; `env` prints the variables the tests read.
set -euo pipefail

# Each checkout gets its own directory (named by a hash of its path) and its own
# ports, so two checkouts run their suites at once without stopping each other's
# servers. The ports come from a slot claimed once with an atomic mkdir and kept in
# the directory: two paths whose hashes meet still get different slots.
CHECKOUT="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${TMPDIR:-/tmp}"
KEY=$(printf '%s' "$CHECKOUT" | sha256sum | cut -c1-12)
DIR="${PORTEVOIX_SERVICES_DIR:-$ROOT/portevoix-test-services-$KEY}"

claim_slot() { # print this checkout's slot, claiming a free one the first time
    if [ -f "$DIR/slot" ]; then cat "$DIR/slot"; return; fi
    local slot=$(( 16#${KEY:0:8} % 2000 )) tries=0
    mkdir -p "$ROOT/portevoix-test-slots" "$DIR"
    until mkdir "$ROOT/portevoix-test-slots/$slot" 2>/dev/null; do
        tries=$(( tries + 1 ))
        [ "$tries" -lt 2000 ] || { echo "no free test-service slot" >&2; exit 1; }
        slot=$(( (slot + 1) % 2000 ))
    done
    printf '%s\n' "$CHECKOUT" >"$ROOT/portevoix-test-slots/$slot/checkout"
    printf '%s\n' "$slot" >"$DIR/slot"
    echo "$slot"
}
SLOT=$(claim_slot)
PG_PORT="${PORTEVOIX_TEST_PG_PORT:-$(( 52000 + SLOT ))}"
REDIS_PORT="${PORTEVOIX_TEST_REDIS_PORT:-$(( 54000 + SLOT ))}"
PG_DATA="$DIR/pg"

pg_bin() { dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)"; }

as_postgres() { # initdb refuses to run as root
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
    local bin; bin="$(pg_bin)"
    mkdir -p "$DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$DIR"; fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        as_postgres "$bin/initdb" -D "$PG_DATA" -A trust -U postgres --no-sync >"$DIR/initdb.log"
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$DIR/postgres.log" -w -t 60 start \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR -c fsync=off -c max_connections=200" \
            >/dev/null
    fi
    "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='portevoix_test'" | grep -q 1 \
        || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres portevoix_test
}

start_redis() {
    mkdir -p "$DIR"
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' \
        --appendonly no --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
    for _ in $(seq 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "redis-server did not start; see $DIR/redis.log" >&2
    exit 1
}

stop_all() {
    if [ -f "$PG_DATA/PG_VERSION" ]; then
        as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    fi
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-}" in
    start) start_postgres; start_redis ;;
    stop) stop_all ;;
    env)
        echo "PORTEVOIX_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/portevoix_test"
        echo "PORTEVOIX_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
        ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
