#!/usr/bin/env bash
# Crash test of import and compute: kills each with SIGKILL at random moments, KILLS times
# (default 100), and checks after every kill that
#   - the store opens and the release served is the previous one, figure for figure
#     (`incity export` of the current release);
#   - the input store is that of the last completed import, file for file (import kills);
# and that a rerun gives what an uninterrupted run gives: after every import kill (an import
# takes seconds), and after every RERUN_EVERY-th compute kill and the last one (a compute of
# the synthetic Europe takes tens of seconds).
#
#   scripts/crash-test.sh [KILLS]      (RERUN_EVERY=10, SEED=1, WORK=target/tmp/crash-test,
#                                       POPULATION_SCALE=0.002)
#
# A kill lands uniformly at random in [0, T], T the duration of an uninterrupted run; a run
# that ends before its kill does not count as a kill. Prints a summary line per operation; any
# failed check stops the script with a message and exit code 1. Not part of `scripts/test.sh`
# (it runs for about an hour); the tests `import_kill` and `compute_kill` kill once each.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-100}
rerun_every=${RERUN_EVERY:-10}
RANDOM=${SEED:-1}
work=${WORK:-target/tmp/crash-test}
cargo build -q -p incity
rm -rf "$work"
mkdir -p "$work"
# A copy of the binary: a rebuild during the hour-long run does not change what is tested.
cp target/debug/incity "$work/incity"
cd "$work"
bin=$PWD/incity
export RUST_LOG=error

fail() { echo "FAILED: $*" >&2; exit 1; }

# The current release's figures without the release number (a rerun publishes the same figures
# under the next number).
release_digest() {
  "$bin" export --data-dir data --format csv --out release.csv > /dev/null 2>&1 \
    || fail "the store does not open or has no release to export"
  cut -d, -f2- release.csv | sha256sum | cut -d' ' -f1
}

# Every file of the input store, by name and content; staging directories and the lock of a
# killed import excepted (the next import removes them). With `stable`, without the manifest's
# import times (a rerun imports the same partitions at another time).
inputs_digest() {
  (cd data/inputs && find . -type f ! -path './.staging-*' ! -name '.import.lock*' | sort |
    while read -r f; do
      if [ "${1:-}" = stable ] && [ "$f" = ./manifest.toml ]; then
        printf '%s ' "$f"; grep -v '^imported_at' "$f" | sha256sum
      else
        printf '%s ' "$f"; sha256sum < "$f"
      fi
    done) | sha256sum | cut -d' ' -f1
}

# Seconds (with milliseconds) a command takes uninterrupted.
duration() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null 2>&1 || fail "uninterrupted run failed: $*"
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

# Starts a command, kills it with SIGKILL after a random delay in [0, max_ms]; returns 0 if
# the kill landed, 1 if the command had finished.
kill_at_random() {
  local max_ms=$1; shift
  local delay_ms=$(( (RANDOM * 32768 + RANDOM) % (max_ms + 1) ))
  "$@" > /dev/null 2>&1 &
  local pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  wait "$pid" 2>/dev/null || true
  return 1
}

"$bin" generate --out demo --population-scale "${POPULATION_SCALE:-0.002}" --seed 3 > /dev/null 2>&1
import_lfs=("$bin" import --data-dir data --mapping eu-lfs demo/lfs_2024.csv)
import_silc=("$bin" import --data-dir data --mapping eu-silc demo/silc_d.csv demo/silc_r.csv
  demo/silc_h.csv demo/silc_p.csv)
compute=("$bin" compute --data-dir data --synthetic --force)

# The uninterrupted runs: the reference input store and release.
import_ms=$(duration "${import_lfs[@]}")
"${import_silc[@]}" > /dev/null 2>&1 || fail "EU-SILC import"
compute_ms=$(duration "${compute[@]}")
inputs_stable=$(inputs_digest stable)
release=$(release_digest)
echo "uninterrupted: import ${import_ms} ms, compute ${compute_ms} ms"

# import
landed=0; attempts=0
while [ "$landed" -lt "$kills" ]; do
  attempts=$((attempts + 1))
  [ "$attempts" -le $((kills * 3)) ] || fail "import: only $landed of $attempts kills landed"
  before=$(inputs_digest)
  if kill_at_random "$import_ms" "${import_lfs[@]}"; then
    landed=$((landed + 1))
    [ "$(inputs_digest)" = "$before" ] || fail "import kill $landed: the input store changed"
    [ "$(release_digest)" = "$release" ] || fail "import kill $landed: the served release changed"
  fi
  "${import_lfs[@]}" > /dev/null 2>&1 || fail "import rerun after kill $landed"
  [ "$(inputs_digest stable)" = "$inputs_stable" ] \
    || fail "import rerun after kill $landed: not the uninterrupted import's input store"
done
echo "import: $landed kills landed in $attempts runs; after each the input store was the last completed import's, the release unchanged, and the rerun equal to an uninterrupted import"

# compute
landed=0; attempts=0; reruns=0
while [ "$landed" -lt "$kills" ]; do
  attempts=$((attempts + 1))
  [ "$attempts" -le $((kills * 3)) ] || fail "compute: only $landed of $attempts kills landed"
  if kill_at_random "$compute_ms" "${compute[@]}"; then
    landed=$((landed + 1))
    [ "$(release_digest)" = "$release" ] \
      || fail "compute kill $landed: the served release is not the previous one"
    if [ $((landed % rerun_every)) -eq 0 ] || [ "$landed" -eq "$kills" ]; then
      "${compute[@]}" > /dev/null 2>&1 || fail "compute rerun after kill $landed"
      [ "$(release_digest)" = "$release" ] \
        || fail "compute rerun after kill $landed: not the uninterrupted run's release"
      reruns=$((reruns + 1))
    fi
  else
    # The run finished: it published the same figures.
    [ "$(release_digest)" = "$release" ] || fail "compute run $attempts: another release"
  fi
done
echo "compute: $landed kills landed in $attempts runs; after each the previous release was served unchanged; $reruns reruns equal to the uninterrupted release"
