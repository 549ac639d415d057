-- Who changed, announced (PostgreSQL only). The server keeps each signed-in user's row and web
-- sessions in memory; on SQLite it learns whose rows changed from `user_changes` (migration
-- 0012). Here every change to a user's row (which the data-version triggers update with each
-- change to their plans and library) or to one of their web sessions notifies channel
-- `mealframe_user_changes` with the user's id, delivered to every listening instance when the
-- transaction commits (one notice per user and transaction: PostgreSQL folds duplicates). The
-- server's listener (`dbkit::notices`) drops that user's entries before trusting them again.
CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The trigger's argument names the column that holds the user's id.
    PERFORM pg_notify(
        'mealframe_user_changes',
        (CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END) ->> TG_ARGV[0]
    );
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_users_notify AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_change('id');
CREATE TRIGGER trg_web_sessions_notify AFTER UPDATE OR DELETE ON web_sessions
    FOR EACH ROW EXECUTE FUNCTION notify_user_change('user_id');
