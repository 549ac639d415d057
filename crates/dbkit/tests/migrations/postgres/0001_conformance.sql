CREATE TABLE rate_limit_windows (
    bucket TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE TABLE items (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    at TIMESTAMPTZ NOT NULL,
    qty INTEGER NOT NULL CHECK (qty >= 0),
    parent UUID REFERENCES items(id) ON DELETE CASCADE
);
