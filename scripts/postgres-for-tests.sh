#!/usr/bin/env bash
# A private PostgreSQL server for the tests (Debian's `postgresql` package; the test
# dependencies script installs it): `start` creates a throw-away cluster on 127.0.0.1, port
# $INCITY_TEST_POSTGRES_PORT (default 54329), trusting local connections, and prints its URL;
# `stop` stops it. As root the server runs as the `postgres` account (initdb refuses root).
# fsync is off: the cluster holds test databases only.
set -euo pipefail
port=${INCITY_TEST_POSTGRES_PORT:-54329}
dir=${TMPDIR:-/tmp}/incity-postgres-$port
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed (Debian package postgresql; scripts/install-test-dependencies.sh installs it)" >&2
    exit 1
fi
as_server() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
start)
    if ! as_server "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        rm -rf "$dir"
        mkdir -p "$dir"
        if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
        as_server "$bin/initdb" -D "$dir" -U incity --auth=trust -E UTF8 --no-locale >/dev/null
        as_server "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null
    fi
    echo "postgres://incity@127.0.0.1:$port/postgres"
    ;;
stop)
    as_server "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
