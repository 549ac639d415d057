//! Provider tokens per install, UTC month and feature (`usage_tokens`), and what an operator
//! reads and changes per install: `offload-api usage show | reset | top`. Numbers only: nothing
//! here ever holds a prompt or an answer.

use dbkit::{Conn, Db, Timestamp, execute, fetch_all};
use time::OffsetDateTime;

use super::{
    StoreError,
    usage::{LOCK_POOL, Period},
};
use crate::{
    config::QuotaPeriod,
    model::ids::{Feature, InstallId},
};

/// The UTC month `YYYY-MM` of `now`: the bucket token totals fall into (a monthly quota
/// period's name).
pub fn month_of(now: OffsetDateTime) -> String {
    Period::at(QuotaPeriod::Monthly, now).as_str().to_owned()
}

/// What one provider call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spent {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

const ADD: &str = "INSERT INTO usage_tokens
       (install_id, month, feature, calls, input_tokens, output_tokens, updated_at)
     VALUES ($1, $2, $3, 1, $4, $5, $6)
     ON CONFLICT (install_id, month, feature) DO UPDATE SET
       calls = usage_tokens.calls + 1,
       input_tokens = usage_tokens.input_tokens + excluded.input_tokens,
       output_tokens = usage_tokens.output_tokens + excluded.output_tokens,
       updated_at = excluded.updated_at";

/// Add one call's tokens inside the caller's transaction (the one that counts the call).
pub async fn add_on(
    conn: &mut Conn<'_>,
    install: &InstallId,
    feature: Feature,
    spent: Spent,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        conn,
        ADD,
        install.as_str(),
        month_of(now.into()),
        feature.key(),
        clamp(spent.input_tokens),
        clamp(spent.output_tokens),
        now
    )?;
    Ok(())
}

/// Add one call's tokens on their own (a call whose output was rejected: not counted, but paid).
pub async fn add(
    db: &Db,
    install: &InstallId,
    feature: Feature,
    spent: Spent,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    add_on(&mut tx.conn(), install, feature, spent, now).await?;
    Ok(tx.commit().await?)
}

pub(super) fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One row of an install's token history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub month: String,
    pub feature: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// One stored quota count of an install.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CountRow {
    pub period: String,
    pub feature: String,
    pub count: i64,
}

/// Everything stored about an install's usage: token totals (newest month first) and counts.
pub async fn install_report(
    db: &Db,
    install: &InstallId,
) -> Result<(Vec<TokenRow>, Vec<CountRow>), StoreError> {
    let mut r = db.reader().await?;
    let tokens = fetch_all!(
        r.conn(),
        TokenRow,
        "SELECT month, feature, calls, input_tokens, output_tokens FROM usage_tokens
         WHERE install_id = $1 ORDER BY month DESC, feature",
        install.as_str()
    )?;
    let counts = fetch_all!(
        r.conn(),
        CountRow,
        "SELECT period, feature, count FROM usage_counts
         WHERE install_id = $1 ORDER BY period DESC, feature",
        install.as_str()
    )?;
    Ok((tokens, counts))
}

/// An install's totals for a month.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TopRow {
    pub install_id: String,
    pub calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// The installs that used the most tokens in `month`, heaviest first.
pub async fn top(db: &Db, month: &str, limit: u32) -> Result<Vec<TopRow>, StoreError> {
    let mut r = db.reader().await?;
    Ok(fetch_all!(
        r.conn(),
        TopRow,
        "SELECT install_id, CAST(SUM(calls) AS BIGINT) AS calls,
                CAST(SUM(input_tokens) AS BIGINT) AS input_tokens,
                CAST(SUM(output_tokens) AS BIGINT) AS output_tokens
         FROM usage_tokens WHERE month = $1
         GROUP BY install_id
         ORDER BY SUM(input_tokens) + SUM(output_tokens) DESC, install_id
         LIMIT $2",
        month,
        i64::from(limit)
    )?)
}

/// Set an install's quota counts of `period` back to zero — every feature, or one — under the
/// install's pool lock, so no admission runs half before and half after. Token totals stay (they
/// are what was spent). Answers how many counts were removed.
pub async fn reset(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Option<&str>,
) -> Result<u64, StoreError> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    execute!(tx.conn(), LOCK_POOL, install.as_str(), period.as_str(), now)?;
    let removed = match feature {
        Some(f) => execute!(
            tx.conn(),
            "DELETE FROM usage_counts WHERE install_id = $1 AND period = $2 AND feature = $3",
            install.as_str(),
            period.as_str(),
            f
        )?,
        None => execute!(
            tx.conn(),
            "DELETE FROM usage_counts WHERE install_id = $1 AND period = $2",
            install.as_str(),
            period.as_str()
        )?,
    };
    tx.commit().await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn token_months_are_utc_calendar_months() {
        assert_eq!(month_of(datetime!(2026-03-31 23:30 -01:00)), "2026-04");
        assert_eq!(month_of(datetime!(2026-12-01 00:00 UTC)), "2026-12");
    }
}
