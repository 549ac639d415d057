-- Meal times and calendar feeds (issue 13).
-- A template slot's time of day in the user's time zone, as minutes after midnight (07:30 is
-- 450); NULL = no time (the slot keeps its template position on Today, an all-day event in the
-- calendar feed).
ALTER TABLE day_template_slots ADD COLUMN time_minutes INTEGER CHECK (time_minutes BETWEEN 0 AND 1439);

-- One calendar-feed secret per user. Only the SHA-256 hex digest of the token in the feed URL
-- is stored; rotating replaces it (the old URL stops working), revoking deletes the row.
CREATE TABLE calendar_feeds (
    user_id BLOB PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL CHECK (length(token_hash) = 64),
    created_at INTEGER NOT NULL,
    CONSTRAINT uq_calendar_feeds_token UNIQUE (token_hash)
);
