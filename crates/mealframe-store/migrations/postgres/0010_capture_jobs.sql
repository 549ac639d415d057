-- Asynchronous meal capture (issue 12): a captured meal exists at once, marked "processing",
-- and a durable job fills it in. Meals accept ADR-013's capture sources and carry the state.
ALTER TABLE meals DROP CONSTRAINT meals_source_check;
ALTER TABLE meals ADD CONSTRAINT meals_source_check
    CHECK (source IN ('manual', 'ai_capture', 'ad_hoc_image', 'ad_hoc_voice', 'ad_hoc_text'));
ALTER TABLE meals ADD COLUMN processing_status TEXT NOT NULL DEFAULT 'completed'
    CHECK (processing_status IN ('processing', 'completed', 'failed'));
ALTER TABLE meals ADD COLUMN processing_error TEXT;
ALTER TABLE meals ADD COLUMN identified_items TEXT;  -- JSON array of {name, estimated_quantity}
ALTER TABLE meals ADD COLUMN photo_key TEXT;  -- the captured photo in the photo store, if kept

-- One job per captured meal. The photo or recording waits here (never on disk elsewhere) until
-- the job ends: a recording is dropped as soon as it is transcribed, a photo when the meal is
-- filled in; a failed job keeps its input so the user can retry it. Claimed with a lease like
-- the mail outbox, so a crash or restart resumes it and two instances never run it at once.
CREATE TABLE capture_jobs (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    meal_id UUID NOT NULL REFERENCES meals(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'audio', 'text')),
    input BYTEA,
    input_mime TEXT,
    input_text TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claim TEXT,
    lease_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    CONSTRAINT uq_capture_jobs_meal UNIQUE (meal_id)
);
CREATE INDEX ix_capture_jobs_due ON capture_jobs (state, next_attempt_at);
CREATE INDEX ix_capture_jobs_user_created ON capture_jobs (user_id, created_at);
