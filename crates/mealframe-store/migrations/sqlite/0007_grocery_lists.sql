-- Grocery lists (issue 11). The list itself is computed from the plan on every read; what is
-- stored is what the person did to it. A list is one shopping trip, named by its last day
-- (`to_date`): the default list (today to the end of the week) keeps its check-offs as the days
-- pass and `from` moves forward.
CREATE TABLE grocery_lists (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    to_date TEXT NOT NULL,
    -- The list as it was when the person last acted on it ("key<TAB>amount<TAB>name<TAB>shown"
    -- lines), to tell them what a regeneration changed.
    seen TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    CONSTRAINT uq_grocery_lists_user_to UNIQUE (user_id, to_date)
);

-- Per item of a list: checked off (with the exact amount it covered, in the base unit, "n/d"),
-- or removed ("I have it already").
CREATE TABLE grocery_list_items (
    list_id BLOB NOT NULL REFERENCES grocery_lists(id) ON DELETE CASCADE,
    item_key TEXT NOT NULL CHECK (length(item_key) BETWEEN 1 AND 300),
    checked_amount TEXT,
    removed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, item_key)
);

-- Things to buy that are not in the plan.
CREATE TABLE grocery_extras (
    id BLOB PRIMARY KEY,
    list_id BLOB NOT NULL REFERENCES grocery_lists(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    checked INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX ix_grocery_extras_list ON grocery_extras (list_id);

-- What a person decided about an ingredient, for every list: its aisle (NULL: the built-in
-- dictionary) and whether it is a pantry staple kept at home (NULL: the built-in staples).
CREATE TABLE grocery_preferences (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ingredient_key TEXT NOT NULL CHECK (length(ingredient_key) BETWEEN 1 AND 200),
    category TEXT,
    staple INTEGER,
    PRIMARY KEY (user_id, ingredient_key)
);

-- The optional AI reading of portion lines the parser could not read (off unless configured),
-- one row per user and line text, so that a text is sent to the model once: `waiting` until a
-- reader on any instance claims it (with a lease) and stores the model's reading as a portion
-- text the parser reads (`done`; empty when the line names nothing to buy), or gives up
-- (`failed`, after retries on provider errors or on an answer that could not be read).
CREATE TABLE grocery_ai_lines (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    line TEXT NOT NULL CHECK (length(line) BETWEEN 1 AND 500),
    status TEXT NOT NULL CHECK (status IN ('waiting', 'done', 'failed')),
    reading TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim TEXT,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, line)
);
CREATE INDEX ix_grocery_ai_lines_due ON grocery_ai_lines (status, next_attempt_at);
