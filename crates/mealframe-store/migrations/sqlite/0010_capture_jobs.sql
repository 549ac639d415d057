-- no-transaction
-- Asynchronous meal capture (issue 12): a captured meal exists at once, marked "processing",
-- and a durable job fills it in. SQLite cannot change a CHECK in place, so `meals` is rebuilt
-- (the documented twelve-step procedure) to accept ADR-013's capture sources and to carry the
-- processing state; foreign keys are off for the rebuild only, so dropping the old table does
-- not cascade into the rows that refer to it.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE meals_rebuilt (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    name_key TEXT NOT NULL,
    portion_description TEXT NOT NULL CHECK (length(portion_description) >= 1),
    portion_key TEXT NOT NULL,
    calories_kcal INTEGER CHECK (calories_kcal BETWEEN 0 AND 999999),
    protein_dg INTEGER CHECK (protein_dg BETWEEN 0 AND 999999),
    carbs_dg INTEGER CHECK (carbs_dg BETWEEN 0 AND 999999),
    sugar_dg INTEGER CHECK (sugar_dg BETWEEN 0 AND 999999),
    fat_dg INTEGER CHECK (fat_dg BETWEEN 0 AND 999999),
    saturated_fat_dg INTEGER CHECK (saturated_fat_dg BETWEEN 0 AND 999999),
    fiber_dg INTEGER CHECK (fiber_dg BETWEEN 0 AND 999999),
    notes TEXT,
    source TEXT NOT NULL DEFAULT 'manual'
        CHECK (source IN ('manual', 'ai_capture', 'ad_hoc_image', 'ad_hoc_voice', 'ad_hoc_text')),
    confidence_pct INTEGER CHECK (confidence_pct BETWEEN 0 AND 100),
    image_path TEXT,
    ai_model_version TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    processing_status TEXT NOT NULL DEFAULT 'completed'
        CHECK (processing_status IN ('processing', 'completed', 'failed')),
    processing_error TEXT,
    identified_items TEXT,                    -- JSON array of {name, estimated_quantity}
    photo_key TEXT                            -- the captured photo in the photo store, if kept
);
INSERT INTO meals_rebuilt (id, user_id, name, name_key, portion_description, portion_key, calories_kcal,
                           protein_dg, carbs_dg, sugar_dg, fat_dg, saturated_fat_dg, fiber_dg, notes, source,
                           confidence_pct, image_path, ai_model_version, created_at, updated_at)
SELECT id, user_id, name, name_key, portion_description, portion_key, calories_kcal,
       protein_dg, carbs_dg, sugar_dg, fat_dg, saturated_fat_dg, fiber_dg, notes, source,
       confidence_pct, image_path, ai_model_version, created_at, updated_at
FROM meals;
DROP TABLE meals;
ALTER TABLE meals_rebuilt RENAME TO meals;
CREATE INDEX ix_meals_user_name ON meals (user_id, name_key);
CREATE INDEX ix_meals_user_created ON meals (user_id, created_at, id);
CREATE TRIGGER trg_meals_update_version AFTER UPDATE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER trg_meals_delete_version AFTER DELETE ON meals BEGIN
    UPDATE users SET data_version = data_version + 1 WHERE id = OLD.user_id;
END;

-- One job per captured meal. The photo or recording waits here (never on disk elsewhere) until
-- the job ends: a recording is dropped as soon as it is transcribed, a photo when the meal is
-- filled in; a failed job keeps its input so the user can retry it. Claimed with a lease like
-- the mail outbox, so a crash or restart resumes it and two instances never run it at once.
CREATE TABLE capture_jobs (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    meal_id BLOB NOT NULL REFERENCES meals(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'text')),
    input BLOB,
    input_mime TEXT,
    input_text TEXT,                          -- the typed description, or the transcript
    state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    CONSTRAINT uq_capture_jobs_meal UNIQUE (meal_id)
);
CREATE INDEX ix_capture_jobs_due ON capture_jobs (state, next_attempt_at);
CREATE INDEX ix_capture_jobs_user_created ON capture_jobs (user_id, created_at);

COMMIT;
PRAGMA foreign_keys = ON;
