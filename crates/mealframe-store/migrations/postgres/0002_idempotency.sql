-- Responses of mutations sent with an Idempotency-Key (the web app's offline queue), so that a
-- replay returns the stored answer instead of applying the change again.
CREATE TABLE idempotency_keys (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,           -- "METHOD /path" of the first request with this key
    status_code INTEGER,                 -- NULL while the first request is still running
    content_type TEXT,
    response_body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
