-- Web Push reminders and the planning nudge (issue 13).
-- A browser's push subscription (one per device): the push service's endpoint URL and the keys
-- the payload is encrypted to (RFC 8291). Removed when the user turns reminders off on that
-- device, or when the push service answers 404/410 (the subscription is gone).
CREATE TABLE push_subscriptions (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,                -- the browser's P-256 public key, base64url
    auth TEXT NOT NULL,                  -- the 16-byte authentication secret, base64url
    user_agent TEXT NOT NULL DEFAULT '', -- a label for Settings ("Firefox on Linux")
    created_at TIMESTAMPTZ NOT NULL,
    last_success_at TIMESTAMPTZ,
    CONSTRAINT uq_push_subscriptions_endpoint UNIQUE (endpoint)
);
CREATE INDEX ix_push_subscriptions_user ON push_subscriptions (user_id);

-- Reminder settings; a user without a row has the defaults (10 minutes before a meal; the
-- planning nudge on Sunday, weekday 7 = Sunday as in ISO 8601, at 18:00, by push; no daily
-- e-mail digest).
CREATE TABLE reminder_settings (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    lead_minutes INTEGER NOT NULL CHECK (lead_minutes BETWEEN 0 AND 240),
    nudge_weekday INTEGER NOT NULL CHECK (nudge_weekday BETWEEN 1 AND 7),
    nudge_minutes INTEGER NOT NULL CHECK (nudge_minutes BETWEEN 0 AND 1439),
    nudge_channel TEXT NOT NULL CHECK (nudge_channel IN ('push', 'email', 'both', 'off')),
    digest_minutes INTEGER CHECK (digest_minutes BETWEEN 0 AND 1439),  -- NULL = no digest
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per reminder and target (a push subscription's id, or 'email'): inserted as the claim
-- before anything is sent, so a reminder goes out at most once however many instances run and
-- however often they restart. A failed push is retried (next_attempt_at) while the claim's lease
-- has run out; done_at ends it (sent, or given up).
CREATE TABLE reminder_sends (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('meal', 'nudge', 'digest')),
    subject TEXT NOT NULL,               -- the slot id (meal), next week's Monday (nudge), the day (digest)
    target TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    claim TEXT,
    lease_until TIMESTAMPTZ,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    done_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, kind, subject, target, due_at)
);
CREATE INDEX ix_reminder_sends_created ON reminder_sends (created_at);
