#!/usr/bin/env bash
# Writes modules/: the example files of the indicator modules (one country of a small
# synthetic Europe) and the expected output of every module's commands on them. Run after a
# change of the catalogue, the mappings, the generator or the estimation; then review the
# diff of modules/expected and commit it. crates/cli/tests/modules.rs checks that every
# module's commands still give exactly these files.
#
# usage: scripts/make-modules.sh   (needs python3 for the cut of the example files)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTRY=AT
YEAR=2024
# Sample scale of the synthetic Europe the examples are cut from: Austria then has about
# 1,800 EU-LFS and 1,100 EU-SILC persons, enough for country and NUTS 1 figures, while its
# city figures for migrant groups show the publication flags.
SAMPLE_SCALE=0.05
cargo build -p incity
BIN=$PWD/target/debug/incity
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" generate --out "$WORK/gen" --sample-scale "$SAMPLE_SCALE" --year "$YEAR" --no-truth
rm -rf modules/examples modules/expected
# The administrative indicators: NUMERATOR:DENOMINATOR:ID from the catalogue.
ADMIN=$(awk '/^\[\[administrative\]\]/{inadm=1} inadm && /^id = /{gsub(/"/,"",$3); id=$3}
  /^\[administrative.numerator\]/{part="n"} /^\[administrative.denominator\]/{part="d"}
  inadm && /^dataset = /{gsub(/"/,"",$3); if(part=="n") n=$3; else {print n":"$3":"id; inadm=0}}' catalogue/catalogue.toml)
python3 scripts/module-examples.py "$WORK/gen" modules "$COUNTRY" "$YEAR" $ADMIN
# The examples are compiled into the binary: rebuild, then run every module.
touch crates/indicators/build.rs
cargo build -p incity
"$BIN" catalogue module --all --out "$WORK/modules"
for dir in "$WORK"/modules/*/; do
  id=$(basename "$dir")
  (
    cd "$dir"
    while IFS= read -r line; do
      case "$line" in ''|'#'*) continue ;; esac
      eval "\"$BIN\" ${line#incity }" > /dev/null
    done < commands.txt
  )
  mkdir -p "modules/expected/$id"
  for out in figures.csv estimate.csv; do
    if [ -f "$dir/$out" ]; then cp "$dir/$out" "modules/expected/$id/$out"; fi
  done
  echo "$id: $(ls "modules/expected/$id" | tr '\n' ' ')"
done
touch crates/indicators/build.rs
