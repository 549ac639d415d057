-- The data version (migration 0003) now also covers the library *lists* — the Meals page and
-- API, the pickers, Setup's progress — so the server can cache them under it like the day
-- views: new meals, meal types, templates and week plans, a meal's types, a template's slots and
-- a week plan's days move it too. (0003 left new rows out because no view showed them yet.)
--
-- And a generated week's days and slots move it once per *statement* instead of once per row:
-- regenerating a week changes dozens of slots, and a row trigger ran one `UPDATE users` for
-- each (transition tables need one trigger per event).

DROP TRIGGER trg_meals_version ON meals;
CREATE TRIGGER trg_meals_version AFTER INSERT OR UPDATE OR DELETE ON meals
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
DROP TRIGGER trg_meal_types_version ON meal_types;
CREATE TRIGGER trg_meal_types_version AFTER INSERT OR UPDATE OR DELETE ON meal_types
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
DROP TRIGGER trg_day_templates_version ON day_templates;
CREATE TRIGGER trg_day_templates_version AFTER INSERT OR UPDATE OR DELETE ON day_templates
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();
CREATE TRIGGER trg_week_plans_version AFTER INSERT OR UPDATE OR DELETE ON week_plans
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_user();

CREATE FUNCTION bump_data_version_by_meal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meal UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN meal := OLD.meal_id; ELSE meal := NEW.meal_id; END IF;
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = meal);
    RETURN NULL;
END $$;
CREATE TRIGGER trg_meal_meal_types_version AFTER INSERT OR UPDATE OR DELETE ON meal_meal_types
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_meal();

CREATE FUNCTION bump_data_version_by_template() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    template UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN template := OLD.day_template_id; ELSE template := NEW.day_template_id; END IF;
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = template);
    RETURN NULL;
END $$;
CREATE TRIGGER trg_day_template_slots_version AFTER INSERT OR UPDATE OR DELETE ON day_template_slots
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_template();

CREATE FUNCTION bump_data_version_by_week_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN plan := OLD.week_plan_id; ELSE plan := NEW.week_plan_id; END IF;
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = plan);
    RETURN NULL;
END $$;
CREATE TRIGGER trg_week_plan_days_version AFTER INSERT OR UPDATE OR DELETE ON week_plan_days
    FOR EACH ROW EXECUTE FUNCTION bump_data_version_by_week_plan();

-- Days and slots: once per statement, for the owners of the weeks the statement touched.
CREATE FUNCTION bump_data_version_by_instances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id IN (SELECT i.user_id FROM weekly_plan_instances i
                 WHERE i.id IN (SELECT weekly_plan_instance_id FROM changed));
    RETURN NULL;
END $$;

DROP TRIGGER trg_days_version ON weekly_plan_days;
CREATE TRIGGER trg_days_insert_version AFTER INSERT ON weekly_plan_days
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();
CREATE TRIGGER trg_days_update_version AFTER UPDATE ON weekly_plan_days
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();
CREATE TRIGGER trg_days_delete_version AFTER DELETE ON weekly_plan_days
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();

DROP TRIGGER trg_slots_version ON weekly_plan_slots;
CREATE TRIGGER trg_slots_insert_version AFTER INSERT ON weekly_plan_slots
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();
CREATE TRIGGER trg_slots_update_version AFTER UPDATE ON weekly_plan_slots
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();
CREATE TRIGGER trg_slots_delete_version AFTER DELETE ON weekly_plan_slots
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version_by_instances();
