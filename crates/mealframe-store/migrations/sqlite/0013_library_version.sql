-- A second per-user counter, moved only by changes to the library (meals, meal types, day
-- templates, week plans and the rows linking them) and to which weeks exist: the meal list, the
-- pickers, Setup's progress and the Today page's library are cached under it. A mark changes a
-- slot, which moves `data_version` (the day, week and stats views) but not this, so those lists
-- stay cached while people mark their meals.
--
-- Every trigger that moves `data_version` for a library table or a week's row (migrations 0003,
-- 0010 and 0011) is replaced by one that moves both counters in the same statement.
ALTER TABLE users ADD COLUMN library_version INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER trg_day_template_slots_delete_version;
CREATE TRIGGER trg_day_template_slots_delete_version AFTER DELETE ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = OLD.day_template_id);
END;

DROP TRIGGER trg_day_template_slots_insert_version;
CREATE TRIGGER trg_day_template_slots_insert_version AFTER INSERT ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = NEW.day_template_id);
END;

DROP TRIGGER trg_day_template_slots_update_version;
CREATE TRIGGER trg_day_template_slots_update_version AFTER UPDATE ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = NEW.day_template_id);
END;

DROP TRIGGER trg_day_templates_delete_version;
CREATE TRIGGER trg_day_templates_delete_version AFTER DELETE ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = OLD.user_id;
END;

DROP TRIGGER trg_day_templates_insert_version;
CREATE TRIGGER trg_day_templates_insert_version AFTER INSERT ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_day_templates_update_version;
CREATE TRIGGER trg_day_templates_update_version AFTER UPDATE ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_meal_meal_types_delete_version;
CREATE TRIGGER trg_meal_meal_types_delete_version AFTER DELETE ON meal_meal_types BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = OLD.meal_id);
END;

DROP TRIGGER trg_meal_meal_types_insert_version;
CREATE TRIGGER trg_meal_meal_types_insert_version AFTER INSERT ON meal_meal_types BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = NEW.meal_id);
END;

DROP TRIGGER trg_meal_types_delete_version;
CREATE TRIGGER trg_meal_types_delete_version AFTER DELETE ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = OLD.user_id;
END;

DROP TRIGGER trg_meal_types_insert_version;
CREATE TRIGGER trg_meal_types_insert_version AFTER INSERT ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_meal_types_update_version;
CREATE TRIGGER trg_meal_types_update_version AFTER UPDATE ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_meals_delete_version;
CREATE TRIGGER trg_meals_delete_version AFTER DELETE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = OLD.user_id;
END;

DROP TRIGGER trg_meals_insert_version;
CREATE TRIGGER trg_meals_insert_version AFTER INSERT ON meals BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_meals_update_version;
CREATE TRIGGER trg_meals_update_version AFTER UPDATE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_week_plan_days_delete_version;
CREATE TRIGGER trg_week_plan_days_delete_version AFTER DELETE ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = OLD.week_plan_id);
END;

DROP TRIGGER trg_week_plan_days_insert_version;
CREATE TRIGGER trg_week_plan_days_insert_version AFTER INSERT ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = NEW.week_plan_id);
END;

DROP TRIGGER trg_week_plan_days_update_version;
CREATE TRIGGER trg_week_plan_days_update_version AFTER UPDATE ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = NEW.week_plan_id);
END;

DROP TRIGGER trg_week_plans_delete_version;
CREATE TRIGGER trg_week_plans_delete_version AFTER DELETE ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = OLD.user_id;
END;

DROP TRIGGER trg_week_plans_insert_version;
CREATE TRIGGER trg_week_plans_insert_version AFTER INSERT ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_week_plans_update_version;
CREATE TRIGGER trg_week_plans_update_version AFTER UPDATE ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_instances_delete_version;
CREATE TRIGGER trg_instances_delete_version AFTER DELETE ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = OLD.user_id;
END;

DROP TRIGGER trg_instances_insert_version;
CREATE TRIGGER trg_instances_insert_version AFTER INSERT ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;

DROP TRIGGER trg_instances_update_version;
CREATE TRIGGER trg_instances_update_version AFTER UPDATE ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1, library_version = library_version + 1 WHERE id = NEW.user_id;
END;
