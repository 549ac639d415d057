-- Provider tokens per install, UTC month and feature, for operators (`offload-api usage show`,
-- `usage top`): numbers only, never content. A call adds to its row in the transaction that
-- counts it; a call whose output was rejected (not counted) still adds its tokens.
CREATE TABLE usage_tokens (
    install_id    TEXT NOT NULL,
    month         TEXT NOT NULL,           -- 'YYYY-MM' (UTC)
    feature       TEXT NOT NULL,
    calls         BIGINT NOT NULL DEFAULT 0 CHECK (calls >= 0),
    input_tokens  BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (install_id, month, feature)
) WITHOUT ROWID;
CREATE INDEX ix_usage_tokens_month ON usage_tokens (month);
