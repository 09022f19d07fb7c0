-- Changes of share levels between two single years of a release, with the covariance basis
-- of their variance (from the PSUs both samples share, or none: independent samples). A
-- withheld change is stored without numbers, like a figure.
CREATE TABLE changes (
    release_id   INTEGER NOT NULL REFERENCES releases (id),
    indicator    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    from_year    INTEGER NOT NULL,
    to_year      INTEGER NOT NULL,
    geo_level    TEXT    NOT NULL
        CHECK (geo_level IN ('country', 'nuts1', 'nuts2', 'nuts3', 'degurba', 'city')),
    geo          TEXT    NOT NULL,
    grouping     TEXT    NOT NULL,
    grp          TEXT    NOT NULL CHECK (grp <> '' AND instr(grp, ' ') = 0),
    sex          TEXT    NOT NULL CHECK (sex IN ('T', 'M', 'F')),
    flag         TEXT    NOT NULL CHECK (flag IN ('', 'u', 'c')),
    flag_reason  TEXT,
    estimate     REAL,
    se           REAL,
    ci_low       REAL,
    ci_high      REAL,
    n            INTEGER,
    population   REAL,
    df           INTEGER CHECK (df IS NULL OR df >= 0),
    covariance   TEXT    NOT NULL CHECK (covariance IN ('shared-psus', 'independent')),
    shared_psus  INTEGER NOT NULL CHECK (shared_psus >= 0),
    CHECK (from_year < to_year),
    CHECK ((covariance = 'independent') = (shared_psus = 0)),
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND n IS NULL AND population IS NULL AND df IS NULL)),
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND ci_low IS NOT NULL AND ci_high IS NOT NULL
                          AND n IS NOT NULL)),
    CHECK ((flag = '') = (flag_reason IS NULL)),
    PRIMARY KEY (release_id, indicator, source, from_year, to_year, geo_level, geo, grp, sex)
);
CREATE INDEX changes_lookup ON changes (release_id, indicator, geo);
