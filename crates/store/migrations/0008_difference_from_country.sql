-- A new measure: `country_difference`, an area's figure minus its country's (same indicator,
-- period, group and sex), linearised jointly because the area's sample is part of the
-- country's. It has no reference group (the other side is the country, given by the code), and
-- a country has none. The table is rebuilt because SQLite cannot change a CHECK in place; the
-- rows are copied unchanged.
CREATE TABLE figures_v8 (
    release_id      INTEGER NOT NULL REFERENCES releases (id),
    indicator       TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    first_year      INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    geo_level       TEXT    NOT NULL
        CHECK (geo_level IN ('country', 'nuts1', 'nuts2', 'nuts3', 'degurba', 'city')),
    geo             TEXT    NOT NULL,
    grouping        TEXT    NOT NULL,
    grp             TEXT    NOT NULL CHECK (grp <> '' AND instr(grp, ' ') = 0),
    reference_group TEXT             CHECK (reference_group <> '' AND instr(reference_group, ' ') = 0),
    sex             TEXT    NOT NULL CHECK (sex IN ('T', 'M', 'F')),
    measure         TEXT    NOT NULL CHECK (measure IN ('level', 'difference', 'ratio', 'country_difference')),
    method          TEXT    NOT NULL DEFAULT 'direct' CHECK (method IN ('direct', 'model')),
    model           TEXT,
    flag            TEXT    NOT NULL CHECK (flag IN ('', 'u', 'c')),
    flag_reason     TEXT,
    estimate        REAL,
    se              REAL,
    ci_low          REAL,
    ci_high         REAL,
    cv              REAL,
    n               INTEGER,
    population      REAL,
    deff            REAL,
    df              INTEGER CHECK (df IS NULL OR df >= 0),
    CHECK (first_year <= year),
    -- A gap has a reference group other than its own group; a level and a difference from
    -- the country have none.
    CHECK ((measure IN ('difference', 'ratio')) = (reference_group IS NOT NULL)),
    CHECK (measure <> 'country_difference' OR geo_level <> 'country'),
    CHECK (reference_group IS NULL OR reference_group <> grp),
    PRIMARY KEY (release_id, indicator, source, first_year, year, geo_level, geo, grp, sex,
                 measure, method),
    CHECK ((method = 'model') = (model IS NOT NULL)),
    CHECK (method = 'direct' OR measure = 'level'),
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND cv IS NULL AND n IS NULL AND population IS NULL AND deff IS NULL
                           AND df IS NULL)),
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND ci_low IS NOT NULL AND ci_high IS NOT NULL
                          AND n IS NOT NULL)),
    CHECK ((flag = '') = (flag_reason IS NULL))
);

INSERT INTO figures_v8
SELECT release_id, indicator, source, first_year, year, geo_level, geo, grouping, grp,
       reference_group, sex, measure, method, model, flag, flag_reason, estimate, se, ci_low,
       ci_high, cv, n, population, deff, df
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v8 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
