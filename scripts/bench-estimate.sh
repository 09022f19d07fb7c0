#!/usr/bin/env bash
# CLI benchmark of `incity generate`, `validate`, `import` and `estimate` over large synthetic
# EU-LFS files.
#
#   scripts/bench-estimate.sh [RECORDS...]     (default: 1000000 10000000)
#
# For each file size: generates the file once (bench-data/, reused on later runs), then times,
# with wall time and peak resident memory (/usr/bin/time -v), a bare scan of the columns used and
# the employment, unemployment and activity rates 20-64 by NUTS 2 region x group of country of
# birth with linearisation, JKn and 500 bootstrap replicates. Results: bench-data/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/incity
OUT=bench-data
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
printf 'records\tcase\twall_s\tpeak_rss_mb\n' > "$RESULTS"

COB="cob=CASE WHEN \"COUNTRYB\" = \"COUNTRY\" THEN 'native' WHEN \"COUNTRYB\" IN ('AT','BE','BG','CY','CZ','DE','DK','EE','EL','ES','FI','FR','HR','HU','IE','IT','LT','LU','LV','MT','NL','PL','PT','RO','SE','SI','SK') THEN 'eu_born' ELSE 'non_eu_born' END"

measure() { # records case command...
  local records=$1 case=$2; shift 2
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" > /dev/null 2> "$log"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  printf '%s\t%s\t%s\t%s\n' "$records" "$case" "$wall" "$rss" | tee -a "$RESULTS"
  rm -f "$log"
}

for records in "${@:-1000000 10000000}"; do
  file="$OUT/lfs_${records}.csv"
  if [ ! -f "$file" ]; then
    # Sample scale 1 gives ~780,000 EU-LFS records; the population (~250 M people at scale 1)
    # is scaled so that the sample is about a fifth of it.
    scale=$(awk -v r="$records" 'BEGIN { printf "%.4f", r / 780404 }')
    pop=$(awk -v r="$records" 'BEGIN { p = r / 40000000; if (p < 0.01) p = 0.01; if (p > 1) p = 1; printf "%.4f", p }')
    measure "$records" generate "$BIN" generate --out "$OUT/gen_$records" --population-scale "$pop" --sample-scale "$scale" --surveys lfs --no-truth
    mv "$OUT/gen_$records/lfs_2024.csv" "$file"
  fi
  measure "$records" validate "$BIN" validate --mapping eu-lfs "$file"
  rm -rf "$OUT/store_$records"
  measure "$records" import "$BIN" import --data-dir "$OUT/store_$records" --mapping eu-lfs "$file"
  measure "$records" bare-scan "$BIN" scan --data "$file" --columns COEFFY,STRATUM,PSU,REGION,AGE,ILOSTAT,COUNTRY,COUNTRYB
  for variance in linearization jkn bootstrap; do
    for rate in "employment:ILOSTAT = 1:AGE BETWEEN 20 AND 64" \
                "unemployment:ILOSTAT = 2:AGE BETWEEN 20 AND 64 AND ILOSTAT IN (1, 2)" \
                "activity:ILOSTAT IN (1, 2):AGE BETWEEN 20 AND 64"; do
      IFS=: read -r name num pop <<< "$rate"
      measure "$records" "$name-$variance" "$BIN" estimate --data "$file" --weight COEFFY \
        --strata STRATUM --psu PSU --lonely-psu certainty --variance "$variance" --replicates 500 \
        --stat "share($num)" --where "$pop" --derive "$COB" --by REGION,cob
    done
  done
done
