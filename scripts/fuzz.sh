#!/usr/bin/env bash
# Runs the cargo fuzz targets (fuzz/fuzz_targets/: every parser of untrusted input) with
# libFuzzer, each for SECONDS, JOBS at a time, starting from and adding to the committed
# corpora (fuzz/corpus/TARGET), then minimises each corpus. Crashes, hangs (> 10 s per input)
# and inputs needing more than 4 GB are saved under fuzz/artifacts/TARGET/ and fail the run.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 600 s, every target; JOBS=2)
#
# Needs the nightly toolchain and cargo-fuzz (installed here if missing). The target
# portal_query answers requests in process from the release in INCITY_FUZZ_DATABASE (default:
# incity-data/incity.sqlite, made by the README's first command, or the portal test fixture
# target/tmp/portal-fixture/incity.sqlite). Logs: target/fuzz-logs/TARGET.log; the summary
# (executions, corpus, findings per target) is printed at the end. Sanitizer: none (the
# project has no unsafe code; the fuzzers look for panics, hangs and memory blow-ups), with
# debug assertions (integer overflow panics).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "the nightly toolchain is needed (rustup toolchain install nightly)" >&2; exit 1
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
if [ -z "${INCITY_FUZZ_DATABASE:-}" ]; then
    for db in incity-data/incity.sqlite target/tmp/portal-fixture/incity.sqlite; do
        [ -f "$db" ] && export INCITY_FUZZ_DATABASE=$PWD/$db && break
    done
fi
mkdir -p target/fuzz-logs
(cd fuzz && cargo +nightly fuzz build -s none -a)
run_one() {
    local t=$1 seconds=$2
    mkdir -p "fuzz/corpus/$t"
    (cd fuzz && cargo +nightly fuzz run -s none -a "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        > "../target/fuzz-logs/$t.log" 2>&1) && echo "$t: done" || echo "$t: FINDING (see target/fuzz-logs/$t.log)"
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "${JOBS:-2}" -I{} bash -c "run_one {} $seconds"
status=0
printf '%-22s %12s %10s %8s %s\n' target executions exec/s corpus findings
for t in "${targets[@]}"; do
    log=target/fuzz-logs/$t.log
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
    (cd fuzz && cargo +nightly fuzz cmin -s none -a "$t" "corpus/$t" > /dev/null 2>&1) || true
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    findings=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
    [ "$findings" -eq 0 ] || status=1
    printf '%-22s %12s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$corpus" "$findings"
done
exit $status
