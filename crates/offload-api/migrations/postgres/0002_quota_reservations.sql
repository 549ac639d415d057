-- Quota units held by AI calls in flight. A unit counts towards the pool until its call settles
-- it into usage_counts (success), deletes it (failure) or it expires (the process died mid-call):
-- a crash can no longer charge the user.
CREATE TABLE quota_reservations (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    id         TEXT NOT NULL,
    feature    TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (install_id, period, id)
);
