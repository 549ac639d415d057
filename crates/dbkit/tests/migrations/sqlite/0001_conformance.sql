CREATE TABLE rate_limit_windows (
    bucket TEXT PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    hits INTEGER NOT NULL
);
CREATE TABLE items (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    qty INTEGER NOT NULL CHECK (qty >= 0),
    parent BLOB REFERENCES items(id) ON DELETE CASCADE
);
