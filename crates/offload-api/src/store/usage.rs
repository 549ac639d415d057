//! Usage counters per (install, period, feature), the shared quota pool, and reconcile.
//!
//! The pool is the sum of the `breakdown`, `braindump` and `decide` counts of an install in the
//! current period. A call reserves its unit *before* the provider is contacted — one transaction
//! that locks the install's `quota_pools` row, sums the pool and increments only if there is
//! room — and gives it back if the call fails. So with quota Q, N concurrent calls yield exactly
//! Q successes (the original checked, called, then incremented, and overshot).

use dbkit::{Db, Timestamp, Tx, execute, fetch_all, fetch_optional, fetch_scalar};
use time::OffsetDateTime;

use crate::{
    config::QuotaPeriod,
    model::ids::{Feature, FeatureName, InstallId},
};

/// The bucket counts fall into: `lifetime`, or the UTC month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period(String);

impl Period {
    pub fn at(kind: QuotaPeriod, now: OffsetDateTime) -> Period {
        match kind {
            QuotaPeriod::Lifetime => Period("lifetime".into()),
            QuotaPeriod::Monthly => {
                let utc = now.to_offset(time::UtcOffset::UTC);
                Period(format!("{:04}-{:02}", utc.year(), u8::from(utc.month())))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Seconds until the quota can change by itself: the next UTC month for monthly quotas; a day
/// for lifetime quotas (only a configuration change frees them; a day is a polite hint).
pub fn seconds_until_reset(kind: QuotaPeriod, now: OffsetDateTime) -> u64 {
    match kind {
        QuotaPeriod::Lifetime => 86_400,
        QuotaPeriod::Monthly => {
            let utc = now.to_offset(time::UtcOffset::UTC);
            let (y, m) = match utc.month() {
                time::Month::December => (utc.year() + 1, time::Month::January),
                m => (utc.year(), m.next()),
            };
            let next = time::Date::from_calendar_date(y, m, 1)
                .map(|d| d.midnight().assume_utc())
                .unwrap_or(utc);
            u64::try_from((next - utc).whole_seconds())
                .unwrap_or(1)
                .max(1)
        }
    }
}

const POOL_SUM: &str = "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM usage_counts
     WHERE install_id = $1 AND period = $2 AND feature IN ('breakdown', 'braindump', 'decide')";

const LOCK_POOL: &str =
    "INSERT INTO quota_pools (install_id, period, touched_at) VALUES ($1, $2, $3)
     ON CONFLICT (install_id, period) DO UPDATE SET touched_at = excluded.touched_at";

const ADD_ONE: &str = "INSERT INTO usage_counts (install_id, period, feature, count, updated_at)
     VALUES ($1, $2, $3, 1, $4)
     ON CONFLICT (install_id, period, feature)
     DO UPDATE SET count = usage_counts.count + 1, updated_at = excluded.updated_at";

/// How many pool units the install has used in `period`.
pub async fn pool_total(db: &Db, install: &InstallId, period: &Period) -> Result<i64, sqlx::Error> {
    let mut r = db.reader().await?;
    fetch_scalar!(r.conn(), i64, POOL_SUM, install.as_str(), period.as_str())
}

/// Take one pool unit for `feature` if fewer than `quota` are used. `false` = pool is full.
pub async fn reserve(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    quota: u32,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let taken = reserve_on(&mut tx, install, period, feature, quota).await?;
    tx.commit().await?;
    Ok(taken)
}

/// [`reserve`] inside the caller's write transaction (which commits it). Nothing is written
/// when the pool is full.
pub async fn reserve_on(
    tx: &mut Tx,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    quota: u32,
) -> Result<bool, sqlx::Error> {
    let now = Timestamp::now();
    execute!(tx.conn(), LOCK_POOL, install.as_str(), period.as_str(), now)?;
    let used = fetch_scalar!(tx.conn(), i64, POOL_SUM, install.as_str(), period.as_str())?;
    if used >= i64::from(quota) {
        return Ok(false);
    }
    execute!(
        tx.conn(),
        ADD_ONE,
        install.as_str(),
        period.as_str(),
        feature.key(),
        now
    )?;
    Ok(true)
}

/// Give back a unit taken by [`reserve`] (the provider call failed).
pub async fn release(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
) -> Result<(), sqlx::Error> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    execute!(tx.conn(), LOCK_POOL, install.as_str(), period.as_str(), now)?;
    execute!(
        tx.conn(),
        "UPDATE usage_counts SET count = count - 1, updated_at = $4
         WHERE install_id = $1 AND period = $2 AND feature = $3 AND count > 0",
        install.as_str(),
        period.as_str(),
        feature.key(),
        now
    )?;
    tx.commit().await
}

/// Count one successful call of a feature outside the pool (`execfunction`, `draft`).
pub async fn increment(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
) -> Result<(), sqlx::Error> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    execute!(tx.conn(), LOCK_POOL, install.as_str(), period.as_str(), now)?;
    execute!(
        tx.conn(),
        ADD_ONE,
        install.as_str(),
        period.as_str(),
        feature.key(),
        now
    )?;
    tx.commit().await
}

/// `count = max(count, local_count)`, atomically; answers the stored count.
pub async fn reconcile(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: &FeatureName,
    local_count: i64,
) -> Result<i64, sqlx::Error> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    execute!(tx.conn(), LOCK_POOL, install.as_str(), period.as_str(), now)?;
    let stored = fetch_scalar!(
        tx.conn(),
        i64,
        "INSERT INTO usage_counts (install_id, period, feature, count, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (install_id, period, feature) DO UPDATE SET
           count = CASE WHEN usage_counts.count >= excluded.count
                        THEN usage_counts.count ELSE excluded.count END,
           updated_at = excluded.updated_at
         RETURNING count",
        install.as_str(),
        period.as_str(),
        feature.as_str(),
        local_count,
        now
    )?;
    tx.commit().await?;
    Ok(stored)
}

/// The count of one feature (0 when never used).
pub async fn count(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: &str,
) -> Result<i64, sqlx::Error> {
    let mut r = db.reader().await?;
    Ok(fetch_optional!(
        r.conn(),
        (i64,),
        "SELECT count FROM usage_counts WHERE install_id = $1 AND period = $2 AND feature = $3",
        install.as_str(),
        period.as_str(),
        feature
    )?
    .map(|(n,)| n)
    .unwrap_or(0))
}

/// Every stored row (tests and operators).
pub async fn dump(db: &Db) -> Result<Vec<(String, String, String, i64)>, sqlx::Error> {
    let mut r = db.reader().await?;
    fetch_all!(
        r.conn(),
        (String, String, String, i64),
        "SELECT install_id, period, feature, count FROM usage_counts
         ORDER BY install_id, period, feature"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn monthly_periods_are_utc_calendar_months() {
        assert_eq!(
            Period::at(QuotaPeriod::Monthly, datetime!(2026-03-31 23:59:59 -01:00)).as_str(),
            "2026-04"
        );
        assert_eq!(
            Period::at(QuotaPeriod::Lifetime, datetime!(2026-03-01 00:00 UTC)).as_str(),
            "lifetime"
        );
    }

    #[test]
    fn a_monthly_quota_resets_at_the_next_month() {
        assert_eq!(
            seconds_until_reset(QuotaPeriod::Monthly, datetime!(2026-12-31 23:59:00 UTC)),
            60
        );
    }
}
