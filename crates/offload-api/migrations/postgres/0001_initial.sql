-- Offload API storage: counters, users and rate-limit windows only. Never prompts or outputs.

CREATE TABLE usage_counts (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,          -- 'lifetime' or 'YYYY-MM' (UTC) with OFFLOAD_QUOTA_PERIOD=monthly
    feature    TEXT NOT NULL,
    count      BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (install_id, period, feature)
);

-- One row per install and period; every change to that install's counts first upserts this row,
-- which takes a row lock and so serialises concurrent quota reservations.
CREATE TABLE quota_pools (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    touched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (install_id, period)
);

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    apple_user_id TEXT NOT NULL UNIQUE,
    install_id    TEXT NOT NULL,
    display_name  TEXT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE rate_limit_windows (
    bucket          TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    hits            BIGINT NOT NULL
);
