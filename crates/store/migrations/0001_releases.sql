-- Releases: every figure of one pipeline run, with its provenance.
CREATE TABLE releases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    input_file        TEXT    NOT NULL,
    input_sha256      TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    synthetic         INTEGER NOT NULL CHECK (synthetic IN (0, 1)),
    generator_seed    INTEGER,
    catalogue_version TEXT    NOT NULL,
    method            TEXT    NOT NULL,
    software_version  TEXT    NOT NULL,
    started_at        INTEGER NOT NULL,
    finished_at       INTEGER NOT NULL
);

-- A suppressed figure (flag 'c') carries no number at all: the database refuses one that does.
CREATE TABLE figures (
    release_id INTEGER NOT NULL REFERENCES releases (id),
    indicator  TEXT    NOT NULL,
    geo_level  TEXT    NOT NULL,
    geo        TEXT    NOT NULL,
    grp        TEXT    NOT NULL,
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
    PRIMARY KEY (release_id, indicator, geo_level, geo, grp),
    CHECK (flag <> 'c' OR (estimate IS NULL AND se IS NULL AND ci_low IS NULL AND ci_high IS NULL
                           AND cv IS NULL AND n IS NULL AND population IS NULL AND deff IS NULL)),
    CHECK (flag = 'c' OR (estimate IS NOT NULL AND se IS NOT NULL AND n IS NOT NULL))
);

-- The release the portal serves; switched in the same transaction that writes a release.
CREATE TABLE current_release (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    release_id INTEGER NOT NULL REFERENCES releases (id)
);
