-- A per-user counter that every change to what the Today, Week and Stats views show moves
-- forward: the server caches those views keyed by it, and reads it with the user on every
-- request, so a cache can never serve a view older than the data (also across instances).
-- Triggers keep it current whatever code path writes.
ALTER TABLE users ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER trg_instances_insert_version AFTER INSERT ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_instances_update_version AFTER UPDATE ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_instances_delete_version AFTER DELETE ON weekly_plan_instances BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER trg_days_insert_version AFTER INSERT ON weekly_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = NEW.weekly_plan_instance_id);
END;
CREATE TRIGGER trg_days_update_version AFTER UPDATE ON weekly_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = NEW.weekly_plan_instance_id);
END;
CREATE TRIGGER trg_days_delete_version AFTER DELETE ON weekly_plan_days BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = OLD.weekly_plan_instance_id);
END;

CREATE TRIGGER trg_slots_insert_version AFTER INSERT ON weekly_plan_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = NEW.weekly_plan_instance_id);
END;
CREATE TRIGGER trg_slots_update_version AFTER UPDATE ON weekly_plan_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = NEW.weekly_plan_instance_id);
END;
CREATE TRIGGER trg_slots_delete_version AFTER DELETE ON weekly_plan_slots BEGIN
    UPDATE users SET data_version = data_version + 1
    WHERE id = (SELECT user_id FROM weekly_plan_instances WHERE id = OLD.weekly_plan_instance_id);
END;

-- The library as the views show it: meal names, portions and macros, type names, template names
-- and limits. (New rows are not shown anywhere until a slot refers to them.)
CREATE TRIGGER trg_meals_update_version AFTER UPDATE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_meals_delete_version AFTER DELETE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;
CREATE TRIGGER trg_meal_types_update_version AFTER UPDATE ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_meal_types_delete_version AFTER DELETE ON meal_types BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;
CREATE TRIGGER trg_day_templates_update_version AFTER UPDATE ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_day_templates_delete_version AFTER DELETE ON day_templates BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;
