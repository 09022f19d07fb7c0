#!/usr/bin/env bash
# Load test of the portal: wrk, 2 threads, 32 connections, 30 s per address, against a
# release build of the portal serving the default synthetic release.
#
#   scripts/load-test.sh [DATA_DIR]
#
# DATA_DIR holds incity.sqlite with a published release (default: incity-data, as created by
# the README's first command; created here with `cargo run -p incity -- serve` if missing).
# Installs wrk from Debian's packages when it is not there. Prints requests/s and latency
# percentiles per address. Not a test: the figures depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir="${1:-incity-data}"
duration="${DURATION:-30s}"
port="${PORT:-18080}"
if ! command -v wrk >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null
fi
if [ ! -f "$data_dir/incity.sqlite" ]; then
    echo "no release in $data_dir: creating the default one (first start of incity serve)" >&2
    cargo build -q -p incity
    target/debug/incity serve --data-dir "$data_dir" --port "$port" &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 1; done
    kill "$pid"; wait "$pid" 2>/dev/null || true
fi
cargo build -q --release -p incity-portal --example serve_database
target/release/examples/serve_database "$data_dir/incity.sqlite" "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.5; done
base="http://127.0.0.1:$port"
for path in \
    "/profile/AT002C" \
    "/explore?indicator=employment_rate_20_64&level=city&group=non_eu_born&measure=difference" \
    "/api/v1/figures?level=country" \
    "/api/v1/explore?indicator=employment_rate_20_64&level=nuts2" \
    "/healthz"; do
    curl -sf -o /dev/null "$base$path"   # first answer renders; the load reads it from memory
    echo "== $path"
    wrk -t2 -c32 -d"$duration" --latency "$base$path" \
        | grep -E "Requests/sec|Transfer/sec|^ +(50|90|99)%|Non-2xx|Socket errors"
done
