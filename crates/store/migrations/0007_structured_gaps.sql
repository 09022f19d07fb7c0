-- A gap is stored as its parts: `grp` is always one target group, `reference_group` the group
-- it is compared with (NULL for a level). Releases written before this migration encoded a gap
-- in `grp` as 'eu_born minus native' (difference) or 'eu_born over native' (ratio); they are
-- split here, once, so that nothing reading the store parses a group name again (a gap row
-- without its word cannot be split into two non-empty codes, and the CHECKs then stop the
-- migration, which leaves the store as it was). The key gains
-- the measure, so a level and the gaps of the same group are distinct rows (a group has one
-- reference group, that of its grouping, so the reference needs no place in the key).
CREATE TABLE figures_v7 (
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
    measure         TEXT    NOT NULL CHECK (measure IN ('level', 'difference', 'ratio')),
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
    -- A gap has a reference group other than its own group; a level has none.
    CHECK ((measure = 'level') = (reference_group IS NULL)),
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

INSERT INTO figures_v7
SELECT release_id, indicator, source, first_year, year, geo_level, geo, grouping,
       CASE measure
           WHEN 'difference' THEN substr(grp, 1, instr(grp, ' minus ') - 1)
           WHEN 'ratio' THEN substr(grp, 1, instr(grp, ' over ') - 1)
           ELSE grp
       END,
       CASE measure
           WHEN 'difference' THEN substr(grp, instr(grp, ' minus ') + length(' minus '))
           WHEN 'ratio' THEN substr(grp, instr(grp, ' over ') + length(' over '))
       END,
       sex, measure, method, model, flag, flag_reason, estimate, se, ci_low, ci_high, cv, n,
       population, deff, df
FROM figures;

DROP TABLE figures;
ALTER TABLE figures_v7 RENAME TO figures;
CREATE INDEX figures_lookup ON figures (release_id, indicator, geo_level, sex);
