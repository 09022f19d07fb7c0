#!/usr/bin/env bash
# Load and soak test of the portal: wrk at saturation (2 threads, 32 connections) for DURATION
# (default 60 s) on each of the busiest addresses, then on a mixed scenario (pages, API
# answers and CSV exports, scripts/load-mixed.lua), against a release build of the portal
# serving a release.
#
#   scripts/load-test.sh [DATA_DIR]      (DURATION=60s, PORT=18080)
#
# DATA_DIR holds incity.sqlite with a published release (default: incity-data, as created by
# the README's first command; created here if missing). Installs wrk from Debian's packages
# when it is not there. Prints per address: requests/s, p50/p90/p99 latency, errors (non-2xx
# answers, socket errors and timeouts); and the server's resident memory after warm-up and at
# the end. Fails (exit 1) on any error or if resident memory grew by more than 10 %.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir="${1:-incity-data}"
duration="${DURATION:-60s}"
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
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

# Warm-up: every address of the mixed scenario answered once (first renderings are cached).
grep -o '"/[^"]*"' scripts/load-mixed.lua | tr -d '"' | while read -r path; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
    [ "$code" = 200 ] || { echo "warm-up: $path answered $code" >&2; exit 1; }
done
rss_before=$(rss_kb)
errors=0
printf '%-92s %10s %9s %9s %9s %7s\n' address requests/s p50 p90 p99 errors
run() { # label, wrk arguments...
    local label=$1; shift
    local out; out=$(wrk -t2 -c32 -d"$duration" --latency "$@")
    local rps p50 p90 p99 non2xx socket
    rps=$(awk '/Requests\/sec/ {print $2}' <<< "$out")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
    p90=$(awk '$1 == "90%" {print $2}' <<< "$out")
    p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<< "$out")
    socket=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<< "$out")
    local e=$(( ${non2xx:-0} + ${socket:-0} ))
    errors=$((errors + e))
    printf '%-92s %10s %9s %9s %9s %7s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$e"
}
for path in \
    "/profile/AT002C" \
    "/explore?indicator=employment_rate_20_64&level=city&group=non_eu_born&measure=difference" \
    "/api/v1/figures?level=country" \
    "/api/v1/explore?indicator=employment_rate_20_64&level=nuts2" \
    "/explore.csv?indicator=employment_rate_20_64&level=nuts2&group=non_eu_born" \
    "/healthz"; do
    run "$path" "$base$path"
done
run "mixed: $(grep -c '^  "/' scripts/load-mixed.lua) addresses incl. 3 CSV exports (load-mixed.lua)" \
    -s scripts/load-mixed.lua "$base"
rss_after=$(rss_kb)
echo "resident memory: $((rss_before / 1024)) MB after warm-up, $((rss_after / 1024)) MB after the load"
echo "errors: $errors"
[ "$errors" -eq 0 ] || exit 1
[ "$rss_after" -le $((rss_before * 11 / 10)) ] || { echo "resident memory grew by more than 10 %" >&2; exit 1; }
