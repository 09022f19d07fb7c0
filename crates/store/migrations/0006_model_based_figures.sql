-- Model-based (small-area) figures are stored beside the direct figures of the same cells:
-- `method` says which a figure is, and a model-based figure names its model. The key gains
-- the method, so a model-based figure can never overwrite a direct one.
CREATE TABLE figures_v6 (
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
    method      TEXT    NOT NULL DEFAULT 'direct' CHECK (method IN ('direct', 'model')),
    model       TEXT,
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
    PRIMARY KEY (release_id, indicator, source, first_year, year, geo_level, geo, grp, sex, method),
    -- A model-based figure names its model; a direct one has none. Only levels are modelled.
    CHECK ((method = 'model') = (model IS NOT NULL)),
    CHECK (method = 'direct' OR measure = 'level'),
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

INSERT INTO figures_v6
SELECT release_id, indicator, source, first_year, year, geo_level, geo, grouping, grp, sex,
       measure, 'direct', NULL, flag, flag_reason, estimate, se, ci_low, ci_high, cv, n,
       population, deff, df
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v6 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
