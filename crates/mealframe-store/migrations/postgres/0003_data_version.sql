-- A per-user counter that every change to what the Today, Week and Stats views show moves
-- forward: the server caches those views keyed by it, and reads it with the user on every
-- request, so a cache can never serve a view older than the data (also across instances).
-- Triggers keep it current whatever code path writes.
ALTER TABLE users ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

-- Rows that carry the owner themselves.
CREATE FUNCTION bump_data_version_by_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
    ELSE
        UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END $$;

-- Rows of a generated week (days, slots): the owner is the week's.
CREATE FUNCTION bump_data_version_by_instance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    instance UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN instance := OLD.weekly_plan_instance_id;
    ELSE instance := NEW.weekly_plan_instance_id;
    END IF;
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = instance);
    RETURN NULL;
END $$;

CREATE TRIGGER trg_instances_version AFTER INSERT OR UPDATE OR DELETE ON weekly_plan_instances
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
CREATE TRIGGER trg_days_version AFTER INSERT OR UPDATE OR DELETE ON weekly_plan_days
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_instance();
CREATE TRIGGER trg_slots_version AFTER INSERT OR UPDATE OR DELETE ON weekly_plan_slots
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_instance();
-- The library as the views show it: meal names, portions and macros, type names, template names
-- and limits. (New rows are not shown anywhere until a slot refers to them.)
CREATE TRIGGER trg_meals_version AFTER UPDATE OR DELETE ON meals
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
CREATE TRIGGER trg_meal_types_version AFTER UPDATE OR DELETE ON meal_types
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
CREATE TRIGGER trg_day_templates_version AFTER UPDATE OR DELETE ON day_templates
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
