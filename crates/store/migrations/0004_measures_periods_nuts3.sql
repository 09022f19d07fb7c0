-- Figures get a reference period (first_year..year: one year, or years pooled) and a measure
-- (level, difference, ratio) instead of a gap flag; NUTS 3 becomes a geographic level.
CREATE TABLE figures_v4 (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    indicator  TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    first_year INTEGER NOT NULL,
    year       INTEGER NOT NULL,
    geo_level  TEXT    NOT NULL
        CHECK (geo_level IN ('country', 'nuts1', 'nuts2', 'nuts3', 'degurba', 'city')),
    geo        TEXT    NOT NULL,
    grouping   TEXT    NOT NULL,
    grp        TEXT    NOT NULL,
    sex        TEXT    NOT NULL CHECK (sex IN ('T', 'M', 'F')),
    measure    TEXT    NOT NULL CHECK (measure IN ('level', 'difference', 'ratio')),
    flag       TEXT    NOT NULL CHECK (flag IN ('', 'u', 'c')),
    estimate   REAL,
    se         REAL,
    ci_low     REAL,
    ci_high    REAL,
    cv         REAL,
    n          INTEGER,
    population REAL,
    deff       REAL,
    CHECK (first_year <= year),
    PRIMARY KEY (release_id, indicator, source, first_year, year, geo_level, geo, grp, sex),
    -- A suppressed figure (flag 'c') carries no number at all.
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND cv IS NULL AND n IS NULL AND population IS NULL AND deff IS NULL)),
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND se IS NOT NULL AND n IS NOT NULL))
);

INSERT INTO figures_v4
SELECT release_id, indicator, source, year, year, geo_level, geo, grouping, grp, sex,
       CASE WHEN is_gap = 1 THEN 'difference' ELSE 'level' END, flag,
       estimate, se, ci_low, ci_high, cv, n, population, deff
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v4 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
