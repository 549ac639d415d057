-- Access tokens carry the user's token generation; raising it (logout everywhere, a password
-- change or reset, a stolen refresh token) ends every access token issued before, at once.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
-- When the chain of refresh tokens began with a real sign-in (copied on every rotation, so
-- "signed in recently" cannot be renewed by refreshing), and when a token was revoked (a rotated
-- token presented again within a few seconds is a concurrent refresh, not theft).
ALTER TABLE refresh_tokens ADD COLUMN authenticated_at TIMESTAMPTZ;
ALTER TABLE refresh_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
