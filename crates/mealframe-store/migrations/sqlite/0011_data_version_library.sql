-- The data version (migration 0003) now also covers the library *lists* — the Meals page and
-- API, the pickers, Setup's progress — so the server can cache them under it like the day
-- views: new meals, meal types, templates and week plans, a meal's types, a template's slots and
-- a week plan's days move it too. (0003 left new rows out because no view showed them yet.)

CREATE TRIGGER trg_meals_insert_version AFTER INSERT ON meals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_meal_types_insert_version AFTER INSERT ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_day_templates_insert_version AFTER INSERT ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;

CREATE TRIGGER trg_week_plans_insert_version AFTER INSERT ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_week_plans_update_version AFTER UPDATE ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_week_plans_delete_version AFTER DELETE ON week_plans BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER trg_meal_meal_types_insert_version AFTER INSERT ON meal_meal_types BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = NEW.meal_id);
END;
CREATE TRIGGER trg_meal_meal_types_delete_version AFTER DELETE ON meal_meal_types BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM meals WHERE id = OLD.meal_id);
END;

CREATE TRIGGER trg_day_template_slots_insert_version AFTER INSERT ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = NEW.day_template_id);
END;
CREATE TRIGGER trg_day_template_slots_update_version AFTER UPDATE ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = NEW.day_template_id);
END;
CREATE TRIGGER trg_day_template_slots_delete_version AFTER DELETE ON day_template_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM day_templates WHERE id = OLD.day_template_id);
END;

CREATE TRIGGER trg_week_plan_days_insert_version AFTER INSERT ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = NEW.week_plan_id);
END;
CREATE TRIGGER trg_week_plan_days_update_version AFTER UPDATE ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = NEW.week_plan_id);
END;
CREATE TRIGGER trg_week_plan_days_delete_version AFTER DELETE ON week_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM week_plans WHERE id = OLD.week_plan_id);
END;
