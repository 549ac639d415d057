-- A second per-user counter, moved only by changes to the library (meals, meal types, day
-- templates, week plans and the rows linking them) and to which weeks exist: the meal list, the
-- pickers, Setup's progress and the Today page's library are cached under it. A mark changes a
-- slot, which moves `data_version` (the day, week and stats views) but not this, so those lists
-- stay cached while people mark their meals.
--
-- The row-level functions behind the library tables' and the weeks' triggers (migrations 0003
-- and 0011) now move both counters in the same statement; the statement-level one behind a
-- week's days and slots still moves `data_version` only.
ALTER TABLE users ADD COLUMN library_version BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION bump_data_version_by_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
        WHERE id = OLD.user_id;
    ELSE
        UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
        WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bump_data_version_by_meal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meal UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN meal := OLD.meal_id; ELSE meal := NEW.meal_id; END IF;
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = meal);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bump_data_version_by_template() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    template UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN template := OLD.day_template_id; ELSE template := NEW.day_template_id; END IF;
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = template);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bump_data_version_by_week_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plan UUID;
BEGIN
    IF TG_OP = 'DELETE' THEN plan := OLD.week_plan_id; ELSE plan := NEW.week_plan_id; END IF;
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = plan);
    RETURN NULL;
END $$;
