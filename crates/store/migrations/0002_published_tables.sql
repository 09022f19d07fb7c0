-- Published statistical tables (Eurostat TSV / SDMX-CSV, administrative tables), flags kept.
CREATE TABLE published_tables (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    format TEXT NOT NULL,
    source_file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    -- dimension identifiers, comma separated, in series-key order
    dimensions TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    UNIQUE (dataset)
);

CREATE TABLE published_observations (
    table_id INTEGER NOT NULL REFERENCES published_tables (id) ON DELETE CASCADE,
    -- dimension codes, tab separated (labels may hold commas), in the order of published_tables.dimensions
    series_key TEXT NOT NULL,
    geo TEXT,
    time_period TEXT NOT NULL,
    value REAL,
    value_text TEXT NOT NULL,
    flags TEXT NOT NULL,
    confidential INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    -- a confidential observation never has a number
    CHECK (confidential = 0 OR (value IS NULL AND value_text IN ('', ':'))),
    PRIMARY KEY (table_id, series_key, time_period)
);

CREATE INDEX published_observations_geo ON published_observations (geo, time_period);
