-- SQLite only (see the SQLite migration of the same number): there the server learns whose rows
-- changed from a `user_changes` table after the database's change token moved. PostgreSQL has no
-- change token; the server reads the signed-in user's row on every request there. Nothing to
-- create — this migration keeps the two engines' version lists equal.
SELECT 1;
