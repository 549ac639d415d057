-- Mail waiting to be sent. A request that sends mail (verification, password reset) adds a row in
-- its own transaction and returns; a background worker on any instance claims due rows with a
-- lease, sends them, and deletes each one once the relay accepted it, so no request waits on a
-- relay and a relay outage loses nothing. Rows carry sign-in links, so they are deleted as soon
-- as they are sent, and given up when their link would have expired anyway.
CREATE TABLE mail_outbox (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                  -- what the mail is for (logs only)
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,         -- not sent after this
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim TEXT,                          -- the sender holding it, while lease_until lasts
    lease_until INTEGER,
    last_error TEXT
);
CREATE INDEX ix_mail_outbox_due ON mail_outbox (next_attempt_at);

-- Mail asked for by address (forgot-password, resend-verification). The request only records the
-- address — the same work whether or not it belongs to an account, so its timing reveals nothing;
-- the mail sender resolves it (finds the account, makes the link, queues the mail) and deletes it.
CREATE TABLE mail_requests (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('verification', 'password_reset')),
    email_key TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Who runs the first request of an Idempotency-Key, and until when that claim holds unless its
-- owner renews it: a claim left by a process that died is recognised at once on the same machine
-- (its process is gone) and after the lease elsewhere, instead of answering 409 for minutes.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until INTEGER;
