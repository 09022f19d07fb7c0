-- Releases over the input store: figures by source, year, grouping and sex; the inputs and the
-- publication rules of every release.
ALTER TABLE releases ADD COLUMN inputs TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN rules TEXT NOT NULL DEFAULT '';

CREATE TABLE figures_v3 (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    indicator  TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    year       INTEGER NOT NULL,
    geo_level  TEXT    NOT NULL,
    geo        TEXT    NOT NULL,
    grouping   TEXT    NOT NULL,
    grp        TEXT    NOT NULL,
    sex        TEXT    NOT NULL CHECK (sex IN ('T', 'M', 'F')),
    is_gap     INTEGER NOT NULL CHECK (is_gap IN (0, 1)),
    flag       TEXT    NOT NULL CHECK (flag IN ('', 'u', 'c')),
    estimate   REAL,
    se         REAL,
    ci_low     REAL,
    ci_high    REAL,
    cv         REAL,
    n          INTEGER,
    population REAL,
    deff       REAL,
    PRIMARY KEY (release_id, indicator, source, year, geo_level, geo, grp, sex),
    -- A suppressed figure (flag 'c') carries no number at all.
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND cv IS NULL AND n IS NULL AND population IS NULL AND deff IS NULL)),
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND se IS NOT NULL AND n IS NOT NULL))
);

INSERT INTO figures_v3
SELECT release_id, indicator, 'lfs', 0, geo_level, geo,
       CASE WHEN grp = 'total' THEN 'total' ELSE 'birth_group' END, grp, 'T', is_gap, flag,
       estimate, se, ci_low, ci_high, cv, n, population, deff
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v3 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
