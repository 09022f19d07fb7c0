-- Figures record the design degrees of freedom of their interval (NULL: the normal quantile,
-- or not applicable) and the reason for their flag (the first publication rule they failed).
-- A share of 0 % or 100 % has no design-based standard error: `se` may be NULL on a published
-- figure, whose interval is then the Korn-Graubard interval.
CREATE TABLE figures_v5 (
    release_id  INTEGER NOT NULL REFERENCES releases (id),
    indicator   TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    first_year  INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    geo_level   TEXT    NOT NULL
        CHECK (geo_level IN ('country', 'nuts1', 'nuts2', 'nuts3', 'degurba', 'city')),
    geo         TEXT    NOT NULL,
    grouping    TEXT    NOT NULL,
    grp         TEXT    NOT NULL,
    sex         TEXT    NOT NULL CHECK (sex IN ('T', 'M', 'F')),
    measure     TEXT    NOT NULL CHECK (measure IN ('level', 'difference', 'ratio')),
    flag        TEXT    NOT NULL CHECK (flag IN ('', 'u', 'c')),
    flag_reason TEXT,
    estimate    REAL,
    se          REAL,
    ci_low      REAL,
    ci_high     REAL,
    cv          REAL,
    n           INTEGER,
    population  REAL,
    deff        REAL,
    df          INTEGER CHECK (df IS NULL OR df >= 0),
    CHECK (first_year <= year),
    PRIMARY KEY (release_id, indicator, source, first_year, year, geo_level, geo, grp, sex),
    -- A suppressed figure (flag 'c') carries no number at all.
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND cv IS NULL AND n IS NULL AND population IS NULL AND deff IS NULL
                           AND df IS NULL)),
    -- A published figure has an estimate and an interval.
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND ci_low IS NOT NULL AND ci_high IS NOT NULL
                          AND n IS NOT NULL)),
    -- Only a flagged figure has a reason.
    CHECK ((flag = '') = (flag_reason IS NULL))
);

INSERT INTO figures_v5
SELECT release_id, indicator, source, first_year, year, geo_level, geo, grouping, grp, sex,
       measure, flag, CASE WHEN flag = '' THEN NULL ELSE 'unrecorded' END,
       estimate, se, ci_low, ci_high, cv, n, population, deff, NULL
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v5 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
