-- Set in the same transaction as the change a keyed request makes, so that a request whose change
-- committed but whose answer was never stored (the server stopped in between) is not applied a
-- second time when the client sends the key again.
ALTER TABLE idempotency_keys ADD COLUMN applied BOOLEAN NOT NULL DEFAULT FALSE;
