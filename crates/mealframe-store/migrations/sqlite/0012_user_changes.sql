-- Which users changed, in commit order (SQLite only). The server keeps each signed-in user's row
-- and web sessions in memory; the database's change token (the WAL-index header) tells it that
-- *something* was committed, by any process, and this table tells it *whose* rows: one row per
-- user holding the sequence number of their latest change, so a server catches up with one
-- indexed read of `seq > last seen` and drops only those users' entries. Triggers keep it
-- current whatever writes (including the data-version triggers, which update `users`).
-- SQLite has one writer at a time, so `MAX(seq) + 1` is the commit order.
CREATE TABLE user_changes (
    user_id BLOB PRIMARY KEY,
    seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_user_changes_seq ON user_changes (seq);

CREATE TRIGGER trg_users_update_changes AFTER UPDATE ON users BEGIN
    INSERT INTO user_changes (user_id, seq)
    VALUES (NEW.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM user_changes))
    ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER trg_users_delete_changes AFTER DELETE ON users BEGIN
    INSERT INTO user_changes (user_id, seq)
    VALUES (OLD.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM user_changes))
    ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER trg_web_sessions_update_changes AFTER UPDATE ON web_sessions BEGIN
    INSERT INTO user_changes (user_id, seq)
    VALUES (NEW.user_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM user_changes))
    ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER trg_web_sessions_delete_changes AFTER DELETE ON web_sessions BEGIN
    INSERT INTO user_changes (user_id, seq)
    VALUES (OLD.user_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM user_changes))
    ON CONFLICT (user_id) DO UPDATE SET seq = excluded.seq;
END;
