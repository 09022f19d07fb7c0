#!/usr/bin/env bash
# The share of city × migrant-group figures that pass the publication rules, on the synthetic
# data: generate -> import (surveys, and the register table of area covariates) -> compute,
# then count the flags of city-level levels (not gaps) by target group, in the release
# database. `compute` itself prints, per level, the share of migrant-group cells published
# reliably by the direct figures and with the model-based figures.
#
# Usage: scripts/measure-city-cells.sh INCITY_BINARY WORKDIR [generate options...]
#   e.g. scripts/measure-city-cells.sh target/release/incity /tmp/cells --sample-scale 1
set -euo pipefail
bin=$1
work=$2
shift 2
rm -rf "$work"
mkdir -p "$work"
"$bin" generate --out "$work/demo" --no-truth "$@" >/dev/null
"$bin" import --data-dir "$work/data" --mapping eu-lfs "$work"/demo/lfs_*.csv >/dev/null
"$bin" import --data-dir "$work/data" --mapping eu-silc \
    "$work/demo/silc_d.csv" "$work/demo/silc_r.csv" "$work/demo/silc_h.csv" "$work/demo/silc_p.csv" >/dev/null
"$bin" import-table --data-dir "$work/data" "$work"/demo/register_*.csv >/dev/null
"$bin" compute --data-dir "$work/data" --synthetic | grep -E "small-area|not fitted|migrant-group"
sqlite3 -header -column "$work/data/incity.sqlite" "
SELECT count(*) AS city_group_figures,
       printf('%.1f %%', 100.0 * sum(flag = '') / count(*)) AS reliable,
       printf('%.1f %%', 100.0 * sum(flag = 'u') / count(*)) AS low_reliability,
       printf('%.1f %%', 100.0 * sum(flag = 'c') / count(*)) AS suppressed
FROM figures
WHERE release_id = (SELECT release_id FROM current_release)
  AND geo_level = 'city' AND grouping <> 'total' AND grp <> 'total' AND measure = 'level'
  AND method = 'direct';"
if sqlite3 "$work/data/incity.sqlite" "SELECT 1 FROM pragma_table_info('figures') WHERE name = 'flag_reason'" | grep -q 1; then
    sqlite3 -header -column "$work/data/incity.sqlite" "
SELECT method, flag, flag_reason, count(*) AS figures
FROM figures
WHERE release_id = (SELECT release_id FROM current_release)
  AND geo_level = 'city' AND grouping <> 'total' AND grp <> 'total' AND measure = 'level'
GROUP BY method, flag, flag_reason ORDER BY method, flag, figures DESC;"
fi
