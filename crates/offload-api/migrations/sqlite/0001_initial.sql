-- Offload API storage: counters, users and rate-limit windows only. Never prompts or outputs.
-- Timestamps are INTEGER microseconds since the Unix epoch (dbkit::Timestamp). Tables keyed by
-- text are WITHOUT ROWID: one b-tree per table, so a request's commit touches fewer pages.

CREATE TABLE usage_counts (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,          -- 'lifetime' or 'YYYY-MM' (UTC) with OFFLOAD_QUOTA_PERIOD=monthly
    feature    TEXT NOT NULL,
    count      INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (install_id, period, feature)
) WITHOUT ROWID;

-- One row per install and period; every change to that install's counts first writes this row,
-- which serialises concurrent quota reservations (a row lock on PostgreSQL).
CREATE TABLE quota_pools (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    touched_at INTEGER NOT NULL,
    PRIMARY KEY (install_id, period)
) WITHOUT ROWID;

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    apple_user_id TEXT NOT NULL UNIQUE,
    install_id    TEXT NOT NULL,
    display_name  TEXT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE rate_limit_windows (
    bucket          TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    hits            BIGINT NOT NULL
) WITHOUT ROWID;
