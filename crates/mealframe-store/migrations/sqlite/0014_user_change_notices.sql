-- PostgreSQL only (see the PostgreSQL migration of the same number): there a change to a user's
-- row or web sessions is announced with NOTIFY. SQLite learns it from `user_changes` (migration
-- 0012). Nothing to create — this migration keeps the two engines' version lists equal.
SELECT 1;
