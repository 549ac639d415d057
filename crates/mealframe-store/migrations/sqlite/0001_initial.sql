-- MealFrame schema, SQLite flavour. The PostgreSQL folder holds the same tables under the same
-- version number. Same names, constraints and meanings; only the column types differ: UUIDs are
-- 16-byte BLOBs, instants INTEGER microseconds since the epoch (see dbkit::Timestamp), dates
-- 'YYYY-MM-DD' TEXT, booleans 0/1, JSON as TEXT. Macro values are integer tenths ("protein_dg" =
-- decigrams, so 18.5 g is 185); kcal are integers.

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,                 -- lower-cased address: one account per address
    password_hash TEXT,
    email_verified INTEGER NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    auth_provider TEXT NOT NULL CHECK (auth_provider IN ('email', 'google')),
    google_sub TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    preferences TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_users_email_key UNIQUE (email_key),
    CONSTRAINT uq_users_google_sub UNIQUE (google_sub)
);

CREATE TABLE refresh_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    is_revoked INTEGER NOT NULL DEFAULT 0,
    revoked_reason TEXT CHECK (revoked_reason IN ('rotated', 'logout', 'password', 'logout_all', 'reuse')),
    CONSTRAINT uq_refresh_tokens_hash UNIQUE (token_hash)
);
CREATE INDEX ix_refresh_tokens_user ON refresh_tokens (user_id);

-- Browser sessions of the web app (HTTP-only cookie); revocable like refresh tokens.
CREATE TABLE web_sessions (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CONSTRAINT uq_web_sessions_hash UNIQUE (token_hash)
);
CREATE INDEX ix_web_sessions_user ON web_sessions (user_id);

CREATE TABLE email_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    token_type TEXT NOT NULL CHECK (token_type IN ('verification', 'password_reset')),
    expires_at INTEGER NOT NULL,
    is_used INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_email_tokens_hash UNIQUE (token_hash)
);
CREATE INDEX ix_email_tokens_user ON email_tokens (user_id);

-- Keyed by the lower-cased address so attempts on unknown addresses count too.
CREATE TABLE failed_login_attempts (
    id BLOB PRIMARY KEY,
    email_key TEXT NOT NULL,
    attempted_at INTEGER NOT NULL
);
CREATE INDEX ix_failed_login_attempts_email ON failed_login_attempts (email_key, attempted_at);

-- Google sign-in: state, nonce and PKCE verifier between authorize and callback.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE rate_limit_windows (
    bucket TEXT PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    hits INTEGER NOT NULL
);

CREATE TABLE meal_types (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_meal_types_user_name UNIQUE (user_id, name)
);

CREATE TABLE meals (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    name_key TEXT NOT NULL,                  -- lower-cased name, for portable case-insensitive search
    portion_description TEXT NOT NULL CHECK (length(portion_description) >= 1),
    portion_key TEXT NOT NULL,               -- lower-cased portion text
    calories_kcal INTEGER CHECK (calories_kcal BETWEEN 0 AND 999999),
    protein_dg INTEGER CHECK (protein_dg BETWEEN 0 AND 999999),
    carbs_dg INTEGER CHECK (carbs_dg BETWEEN 0 AND 999999),
    sugar_dg INTEGER CHECK (sugar_dg BETWEEN 0 AND 999999),
    fat_dg INTEGER CHECK (fat_dg BETWEEN 0 AND 999999),
    saturated_fat_dg INTEGER CHECK (saturated_fat_dg BETWEEN 0 AND 999999),
    fiber_dg INTEGER CHECK (fiber_dg BETWEEN 0 AND 999999),
    notes TEXT,
    source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'ai_capture')),
    confidence_pct INTEGER CHECK (confidence_pct BETWEEN 0 AND 100),   -- hundredths: 0.78 is 78
    image_path TEXT,
    ai_model_version TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_meals_user_name ON meals (user_id, name_key);
CREATE INDEX ix_meals_user_created ON meals (user_id, created_at, id);

CREATE TABLE meal_meal_types (
    meal_id BLOB NOT NULL REFERENCES meals(id) ON DELETE CASCADE,
    meal_type_id BLOB NOT NULL REFERENCES meal_types(id) ON DELETE CASCADE,
    PRIMARY KEY (meal_id, meal_type_id)
);
CREATE INDEX ix_meal_meal_types_type ON meal_meal_types (meal_type_id);

CREATE TABLE day_templates (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    notes TEXT,
    max_calories_kcal INTEGER CHECK (max_calories_kcal BETWEEN 1 AND 999999),
    max_protein_dg INTEGER CHECK (max_protein_dg BETWEEN 0 AND 999999),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_day_templates_user_name UNIQUE (user_id, name)
);

CREATE TABLE day_template_slots (
    id BLOB PRIMARY KEY,
    day_template_id BLOB NOT NULL REFERENCES day_templates(id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    meal_type_id BLOB NOT NULL REFERENCES meal_types(id) ON DELETE RESTRICT,
    CONSTRAINT uq_day_template_slots_position UNIQUE (day_template_id, position)
);
CREATE INDEX ix_day_template_slots_type ON day_template_slots (meal_type_id);

CREATE TABLE week_plans (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ix_week_plans_user ON week_plans (user_id);
-- At most one default plan per user, enforced by the database.
CREATE UNIQUE INDEX uq_week_plans_one_default ON week_plans (user_id) WHERE is_default = 1;

CREATE TABLE week_plan_days (
    id BLOB PRIMARY KEY,
    week_plan_id BLOB NOT NULL REFERENCES week_plans(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    day_template_id BLOB NOT NULL REFERENCES day_templates(id) ON DELETE RESTRICT,
    CONSTRAINT uq_week_plan_days_weekday UNIQUE (week_plan_id, weekday)
);
CREATE INDEX ix_week_plan_days_template ON week_plan_days (day_template_id);

CREATE TABLE weekly_plan_instances (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    week_plan_id BLOB REFERENCES week_plans(id) ON DELETE SET NULL,
    week_start_date TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_weekly_plan_instances_user_week UNIQUE (user_id, week_start_date)
);
CREATE INDEX ix_weekly_plan_instances_plan ON weekly_plan_instances (week_plan_id);

CREATE TABLE weekly_plan_days (
    id BLOB PRIMARY KEY,
    weekly_plan_instance_id BLOB NOT NULL REFERENCES weekly_plan_instances(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    day_template_id BLOB REFERENCES day_templates(id) ON DELETE SET NULL,
    is_override INTEGER NOT NULL DEFAULT 0,
    override_reason TEXT CHECK (length(override_reason) <= 255),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_weekly_plan_days_date UNIQUE (weekly_plan_instance_id, date)
);
CREATE INDEX ix_weekly_plan_days_template ON weekly_plan_days (day_template_id);

CREATE TABLE weekly_plan_slots (
    id BLOB PRIMARY KEY,
    weekly_plan_instance_id BLOB NOT NULL REFERENCES weekly_plan_instances(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    position INTEGER NOT NULL CHECK (position >= 0),
    meal_type_id BLOB REFERENCES meal_types(id) ON DELETE SET NULL,
    meal_id BLOB REFERENCES meals(id) ON DELETE SET NULL,
    is_adhoc INTEGER NOT NULL DEFAULT 0,
    is_manual_override INTEGER NOT NULL DEFAULT 0,
    completion_status TEXT CHECK (completion_status IN ('followed', 'equivalent', 'skipped', 'deviated', 'social')),
    completed_at INTEGER,
    actual_meal_id BLOB REFERENCES meals(id) ON DELETE SET NULL,
    CONSTRAINT uq_weekly_plan_slots_position UNIQUE (weekly_plan_instance_id, date, position)
);
CREATE INDEX ix_weekly_plan_slots_meal ON weekly_plan_slots (meal_id);
CREATE INDEX ix_weekly_plan_slots_actual_meal ON weekly_plan_slots (actual_meal_id);
CREATE INDEX ix_weekly_plan_slots_type ON weekly_plan_slots (meal_type_id);

CREATE TABLE round_robin_states (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    meal_type_id BLOB NOT NULL REFERENCES meal_types(id) ON DELETE CASCADE,
    last_meal_id BLOB REFERENCES meals(id) ON DELETE SET NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, meal_type_id)
);
CREATE INDEX ix_round_robin_states_type ON round_robin_states (meal_type_id);
CREATE INDEX ix_round_robin_states_meal ON round_robin_states (last_meal_id);

CREATE TABLE openai_usage (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    tokens_prompt INTEGER,
    tokens_completion INTEGER,
    cost_micro_usd INTEGER,                   -- millionths of a dollar (NUMERIC(8,6) in the original)
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_openai_usage_user ON openai_usage (user_id);

CREATE TABLE landing_pageviews (
    id BLOB PRIMARY KEY,
    page_url TEXT NOT NULL,
    referrer TEXT,
    user_agent TEXT,
    session_id TEXT,
    ip_hash TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_landing_pageviews_created ON landing_pageviews (created_at);
