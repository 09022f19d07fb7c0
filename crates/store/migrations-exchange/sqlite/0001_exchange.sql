-- The city-to-city exchange (SQLite). The PostgreSQL schema in ../postgres is the same
-- tables, columns and constraints in that database's types; keep the two in step.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('administrator', 'coordinator', 'city-editor')),
    city TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    CHECK ((role = 'city-editor') = (city IS NOT NULL))
);

CREATE TABLE sessions (
    token_digest TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    at INTEGER NOT NULL,
    succeeded INTEGER NOT NULL CHECK (succeeded IN (0, 1))
);
CREATE INDEX login_attempts_name ON login_attempts (name, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);

CREATE TABLE city_pages (
    city TEXT PRIMARY KEY,
    monitoring_since INTEGER,
    indicators TEXT NOT NULL,
    sources TEXT NOT NULL,
    frequency TEXT NOT NULL,
    local_indicators TEXT NOT NULL,
    networks TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES accounts (id)
);

CREATE TABLE practices (
    id INTEGER PRIMARY KEY,
    city TEXT NOT NULL,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    description TEXT NOT NULL,
    results TEXT NOT NULL,
    contact TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    updated_at TEXT NOT NULL
);
CREATE INDEX practices_city ON practices (city);

CREATE TABLE exchange_items (
    id INTEGER PRIMARY KEY,
    city TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('need', 'offer')),
    topic TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX exchange_items_city ON exchange_items (city);

CREATE TABLE network_recommendations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    text TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at TEXT NOT NULL
);

CREATE TABLE city_tables (
    id INTEGER PRIMARY KEY,
    city TEXT NOT NULL,
    dataset TEXT NOT NULL,
    format TEXT NOT NULL,
    source_file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'published')),
    uploaded_by INTEGER NOT NULL REFERENCES accounts (id),
    uploaded_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX city_tables_city ON city_tables (city, status);

CREATE TABLE city_table_observations (
    table_id INTEGER NOT NULL REFERENCES city_tables (id) ON DELETE CASCADE,
    series_key TEXT NOT NULL,
    time_period TEXT NOT NULL,
    value REAL,
    value_text TEXT NOT NULL,
    flags TEXT NOT NULL,
    confidential INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    CHECK (confidential = 0 OR value IS NULL)
);
CREATE INDEX city_table_observations_table ON city_table_observations (table_id);
