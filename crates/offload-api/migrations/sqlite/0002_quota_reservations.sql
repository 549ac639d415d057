-- Quota units held by AI calls in flight. A unit counts towards the pool until its call settles
-- it into usage_counts (success), deletes it (failure) or it expires (the process died mid-call):
-- a crash can no longer charge the user. expires_at is INTEGER microseconds (dbkit::Timestamp).
CREATE TABLE quota_reservations (
    install_id TEXT NOT NULL,
    period     TEXT NOT NULL,
    id         TEXT NOT NULL,
    feature    TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (install_id, period, id)
) WITHOUT ROWID;
