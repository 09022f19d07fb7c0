#!/usr/bin/env bash
# Accuracy of the model-based figures of a release against the synthetic population's truth:
# coverage of the 95 % intervals, empirical and estimated RMSE (of the shares: medians are in
# euro), by level, by indicator and by respondents in the cell.
#
# Usage: scripts/measure-model-coverage.sh WORKDIR TRUTH.csv
#   WORKDIR as left by scripts/measure-city-cells.sh (WORKDIR/data/incity.sqlite);
#   TRUTH.csv from `incity generate` with the same seed and population scale (the sample
#   scale does not change the population), e.g.
#   incity generate --out /tmp/truth --surveys lfs && scripts/measure-model-coverage.sh /tmp/cells1 /tmp/truth/truth_2024.csv
set -euo pipefail
db=$1/data/incity.sqlite
truth=$2
sqlite3 "$db" "DROP TABLE IF EXISTS truth;"
sqlite3 -csv "$db" ".import $truth truth"
sqlite3 "$db" "CREATE INDEX truth_cell ON truth (indicator, geo_level, geo, \"group\", sex);"
models="WITH m AS (
  SELECT f.*, CAST(t.value AS REAL) AS truth
  FROM figures f JOIN truth t
    ON t.indicator = f.indicator AND t.geo_level = f.geo_level AND t.geo = f.geo
   AND t.\"group\" = f.grp AND t.sex = f.sex AND t.degurba = ''
  WHERE f.release_id = (SELECT release_id FROM current_release)
    AND f.method = 'model' AND f.flag <> 'c')"
for by in geo_level indicator \
    "CASE WHEN n < 10 THEN 'a <10' WHEN n < 30 THEN 'b 10-29' WHEN n < 60 THEN 'c 30-59' ELSE 'd 60+' END"; do
    sqlite3 -header -column "$db" "$models
SELECT $by AS class, count(*) AS figures,
       round(avg(truth BETWEEN ci_low AND ci_high), 3) AS coverage,
       round(sqrt(avg(CASE WHEN indicator NOT LIKE 'median%'
                           THEN (estimate - truth) * (estimate - truth) END)), 4) AS empirical_rmse_shares,
       round(sqrt(avg(CASE WHEN indicator NOT LIKE 'median%' THEN se * se END)), 4) AS estimated_rmse_shares
FROM m GROUP BY 1 ORDER BY 1;"
done
