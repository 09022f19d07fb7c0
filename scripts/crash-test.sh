#!/usr/bin/env bash
# Crash test of import and compute: kills each with SIGKILL at random moments, KILLS times
# (default 100), and checks after every kill that
#   - the store opens and the release served is the previous one, figure for figure
#     (`incity export` of the current release);
#   - the input store as readers see it (the manifest and the files it names) is, file for
#     file, either the one before the killed import or the one the killed import would have
#     made (it was killed after its commit), never a mixture: the imports alternate between
#     two EU-LFS files of different seeds; and the rerun leaves no file the manifest does not
#     name;
# and that a rerun gives what an uninterrupted run gives: after every import kill (an import
# takes seconds), and after every RERUN_EVERY-th compute kill and the last one (a compute of
# the synthetic Europe takes tens of seconds).
#
#   scripts/crash-test.sh [KILLS]      (RERUN_EVERY=10, SEED=1, WORK=target/tmp/crash-test,
#                                       POPULATION_SCALE=0.002, PHASES="import compute")
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

# What readers of the input store see: the manifest and the files it names, by name and
# content. With `stable`, without the manifest's import times (a rerun imports the same
# partitions at another time). Files no manifest names (a killed import's staged or superseded
# files) are not read by anyone; the next import removes them, which `orphans` counts.
inputs_digest() {
  (cd data/inputs &&
    { if [ "${1:-}" = stable ]; then grep -v '^imported_at' manifest.toml; else cat manifest.toml; fi
      grep -o 'part-[0-9a-f]*\.parquet' manifest.toml | sort | while read -r part; do
        find . -name "$part" -exec sha256sum {} +
      done; }) | sha256sum | cut -d' ' -f1
}
orphans() {
  local named on_disk
  named=$(grep -c '^file = ' data/inputs/manifest.toml)
  on_disk=$(find data/inputs -name '*.parquet' ! -path '*/.staging-*' | wc -l)
  echo $((on_disk - named))
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
"$bin" generate --out other --population-scale "${POPULATION_SCALE:-0.002}" --seed 4 \
  --surveys lfs --no-truth > /dev/null 2>&1
import_lfs=("$bin" import --data-dir data --mapping eu-lfs demo/lfs_2024.csv)
import_other=("$bin" import --data-dir data --mapping eu-lfs other/lfs_2024.csv)
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

phases=${PHASES:-import compute}
if [[ " $phases " == *" import "* ]]; then
# import: the two states of the input store, with the one file or the other imported.
"${import_other[@]}" > /dev/null 2>&1 || fail "import of the second file"
state_other=$(inputs_digest stable)
"${import_lfs[@]}" > /dev/null 2>&1 || fail "import of the first file"
[ "$(inputs_digest stable)" = "$inputs_stable" ] || fail "import: not reproducible"
landed=0; attempts=0; committed=0
while [ "$landed" -lt "$kills" ]; do
  attempts=$((attempts + 1))
  [ "$attempts" -le $((kills * 3)) ] || fail "import: only $landed of $attempts kills landed"
  # Alternate: import the file that is not in the store.
  if [ $((attempts % 2)) -eq 1 ]; then
    next=("${import_other[@]}"); before_state=$inputs_stable; after_state=$state_other
  else
    next=("${import_lfs[@]}"); before_state=$state_other; after_state=$inputs_stable
  fi
  before=$(inputs_digest)
  if kill_at_random "$import_ms" "${next[@]}"; then
    landed=$((landed + 1))
    now=$(inputs_digest stable)
    if [ "$(inputs_digest)" = "$before" ]; then
      :
    elif [ "$now" = "$after_state" ]; then
      committed=$((committed + 1))
    else
      [ "$now" = "$before_state" ] && fail "import kill $landed: files changed, not committed"
      fail "import kill $landed: the input store is neither the previous nor the new import's"
    fi
    [ "$(release_digest)" = "$release" ] || fail "import kill $landed: the served release changed"
    echo "import kill $landed: consistent"
  fi
  "${next[@]}" > /dev/null 2>&1 || fail "import rerun after kill $landed"
  [ "$(inputs_digest stable)" = "$after_state" ] \
    || fail "import rerun after kill $landed: not the uninterrupted import's input store"
  [ "$(orphans)" -eq 0 ] || fail "import rerun after kill $landed: files no manifest names remain"
done
echo "import: $landed kills landed in $attempts runs ($committed after the commit); after each the input store was the previous import's or the new one's, the release unchanged, and the rerun equal to an uninterrupted import"
"${import_lfs[@]}" > /dev/null 2>&1 || fail "import of the first file"
fi

[[ " $phases " == *" compute "* ]] || exit 0
# compute
landed=0; attempts=0; reruns=0
while [ "$landed" -lt "$kills" ]; do
  attempts=$((attempts + 1))
  [ "$attempts" -le $((kills * 3)) ] || fail "compute: only $landed of $attempts kills landed"
  if kill_at_random "$compute_ms" "${compute[@]}"; then
    landed=$((landed + 1))
    [ "$(release_digest)" = "$release" ] \
      || fail "compute kill $landed: the served release is not the previous one"
    echo "compute kill $landed: the previous release served"
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
