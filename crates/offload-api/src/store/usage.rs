//! Usage counters per (install, period, feature), the shared quota pool, and reconcile.
//!
//! The pool is the sum of the `breakdown`, `braindump` and `decide` counts of an install in the
//! current period plus the units held by calls in flight. A call reserves its unit *before* the
//! provider is contacted — one transaction that locks the install's `quota_pools` row, sums the
//! pool and inserts a `quota_reservations` row only if there is room — and then either settles
//! it into a count (success) or deletes it (failure). So with quota Q, N concurrent calls yield
//! exactly Q successes (the original checked, called, then incremented, and overshot). A
//! reservation expires after the longest a call can take (`Config::reservation_ttl`), so a unit
//! held by a process that died mid-call stops counting by itself: a crash never charges the user.

use dbkit::{Conn, Db, Timestamp, Tx, execute, fetch_all, fetch_one, fetch_optional, fetch_scalar};
use time::OffsetDateTime;

use super::{
    StoreError,
    tokens::{self, Spent},
};
use crate::{
    config::QuotaPeriod,
    model::ids::{Feature, FeatureName, InstallId},
};

/// The bucket counts fall into: `lifetime`, or the UTC month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// Settled pool units, and the units held by calls in flight whose reservation has not expired.
const POOL_PARTS: &str = "SELECT
       CAST(COALESCE((SELECT SUM(count) FROM usage_counts
                      WHERE install_id = $1 AND period = $2
                        AND feature IN ('breakdown', 'braindump', 'decide')), 0) AS BIGINT),
       CAST((SELECT COUNT(*) FROM quota_reservations
             WHERE install_id = $1 AND period = $2 AND expires_at > $3) AS BIGINT)";

/// An install's pool in a period: units used by counted calls, and units held by calls in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub settled: i64,
    pub held: i64,
}

/// Whether a call may take a unit from a pool of `quota`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    Free,
    /// Counted calls used the quota: `quota_exceeded`.
    Exhausted,
    /// Only calls still in flight fill it; some may fail and give their unit back: retry.
    Busy,
}

impl Pool {
    pub fn total(self) -> i64 {
        self.settled + self.held
    }

    pub fn room(self, quota: u32) -> Room {
        let quota = i64::from(quota);
        if self.settled >= quota {
            Room::Exhausted
        } else if self.total() >= quota {
            Room::Busy
        } else {
            Room::Free
        }
    }
}

/// Take the install's pool lock for the period (every change to its counts starts with it).
pub(super) const LOCK_POOL: &str =
    "INSERT INTO quota_pools (install_id, period, touched_at) VALUES ($1, $2, $3)
     ON CONFLICT (install_id, period) DO UPDATE SET touched_at = excluded.touched_at";

const ADD_ONE: &str = "INSERT INTO usage_counts (install_id, period, feature, count, updated_at)
     VALUES ($1, $2, $3, 1, $4)
     ON CONFLICT (install_id, period, feature)
     DO UPDATE SET count = usage_counts.count + 1, updated_at = excluded.updated_at";

/// A pool unit held for a call in flight: a row of `quota_reservations` that counts until it
/// is settled (kept), released (given back) or expires (its process died).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationId(String);

impl ReservationId {
    /// A new, unguessable id.
    pub(super) fn random() -> ReservationId {
        ReservationId(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When a reservation taken at `now` stops counting.
pub fn expiry(now: OffsetDateTime, ttl: std::time::Duration) -> OffsetDateTime {
    now + ttl
}

/// How many pool units the install has used in `period`, in-flight reservations included.
pub async fn pool_total(
    db: &Db,
    install: &InstallId,
    period: &Period,
    now: Timestamp,
) -> Result<i64, StoreError> {
    Ok(pool(db, install, period, now).await?.total())
}

/// The install's pool in `period`: settled and held units.
pub async fn pool(
    db: &Db,
    install: &InstallId,
    period: &Period,
    now: Timestamp,
) -> Result<Pool, StoreError> {
    let mut r = db.reader().await?;
    let (settled, held) = fetch_one!(
        r.conn(),
        (i64, i64),
        POOL_PARTS,
        install.as_str(),
        period.as_str(),
        now
    )?;
    Ok(Pool { settled, held })
}

/// The outcome of a reservation attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    Held(ReservationId),
    /// No room: [`Room::Exhausted`] or [`Room::Busy`].
    Refused(Room),
}

/// Hold one pool unit for `feature` until `expires_at` if fewer than `quota` are used.
pub async fn reserve(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    quota: u32,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<Reserved, StoreError> {
    let mut tx = db.begin().await?;
    let held = reserve_on(&mut tx, install, period, feature, quota, now, expires_at).await?;
    tx.commit().await?;
    Ok(held)
}

/// [`reserve`] inside the caller's write transaction (which commits it): take the pool lock,
/// drop the install's expired reservations, then [`reserve_locked`].
pub async fn reserve_on(
    tx: &mut Tx,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    quota: u32,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<Reserved, StoreError> {
    lock_pool_on(tx.conn(), install, period, now).await?;
    delete_expired_on(tx.conn(), install, period, now).await?;
    reserve_locked(tx.conn(), install, period, feature, quota, now, expires_at).await
}

/// Take the install's pool lock for `period` in the caller's transaction (held until it ends).
pub async fn lock_pool_on(
    mut conn: Conn<'_>,
    install: &InstallId,
    period: &Period,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(&mut conn, LOCK_POOL, install.as_str(), period.as_str(), now)?;
    Ok(())
}

/// Delete the install's reservations that expired (under its pool lock).
pub async fn delete_expired_on(
    mut conn: Conn<'_>,
    install: &InstallId,
    period: &Period,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        &mut conn,
        "DELETE FROM quota_reservations
         WHERE install_id = $1 AND period = $2 AND expires_at <= $3",
        install.as_str(),
        period.as_str(),
        now
    )?;
    Ok(())
}

/// Hold one unit if there is room, the pool lock being held by the caller's transaction.
/// Nothing is written when the pool is full.
pub async fn reserve_locked(
    mut conn: Conn<'_>,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    quota: u32,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<Reserved, StoreError> {
    let (settled, held) = fetch_one!(
        &mut conn,
        (i64, i64),
        POOL_PARTS,
        install.as_str(),
        period.as_str(),
        now
    )?;
    match (Pool { settled, held }).room(quota) {
        Room::Free => {}
        refused => return Ok(Reserved::Refused(refused)),
    }
    let id = ReservationId::random();
    execute!(
        &mut conn,
        "INSERT INTO quota_reservations (install_id, period, id, feature, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        install.as_str(),
        period.as_str(),
        id.as_str(),
        feature.key(),
        expires_at
    )?;
    Ok(Reserved::Held(id))
}

/// Give back a unit taken by [`reserve`] (the provider call failed or the client went away).
pub async fn release(
    db: &Db,
    install: &InstallId,
    period: &Period,
    id: &ReservationId,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    execute!(
        tx.conn(),
        "DELETE FROM quota_reservations WHERE install_id = $1 AND period = $2 AND id = $3",
        install.as_str(),
        period.as_str(),
        id.0.as_str()
    )?;
    Ok(tx.commit().await?)
}

/// Keep a unit taken by [`reserve`]: the reservation becomes a count of `feature`, in one
/// transaction (so the pool total never counts the call twice or not at all).
pub async fn settle(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    id: &ReservationId,
    spent: Spent,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    lock_pool_on(tx.conn(), install, period, now).await?;
    settle_locked(tx.conn(), install, period, feature, id, spent, now).await?;
    Ok(tx.commit().await?)
}

/// [`settle`] in the caller's transaction, which holds the install's pool lock.
pub async fn settle_locked(
    mut conn: Conn<'_>,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    id: &ReservationId,
    spent: Spent,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        &mut conn,
        "DELETE FROM quota_reservations WHERE install_id = $1 AND period = $2 AND id = $3",
        install.as_str(),
        period.as_str(),
        id.0.as_str()
    )?;
    execute!(
        &mut conn,
        ADD_ONE,
        install.as_str(),
        period.as_str(),
        feature.key(),
        now
    )?;
    tokens::add_on(&mut conn, install, feature, spent, now).await
}

/// Delete every reservation that expired before `now` (housekeeping; admission ignores them).
pub async fn purge_expired_reservations(db: &Db, now: Timestamp) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let deleted = execute!(
        tx.conn(),
        "DELETE FROM quota_reservations WHERE expires_at <= $1",
        now
    )?;
    tx.commit().await?;
    Ok(deleted)
}

/// Count one successful call of a feature outside the pool (`execfunction`, `draft`).
pub async fn increment(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: Feature,
    spent: Spent,
    now: Timestamp,
) -> Result<(), StoreError> {
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
    tokens::add_on(&mut tx.conn(), install, feature, spent, now).await?;
    Ok(tx.commit().await?)
}

/// The outcome of [`reconcile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconciled {
    /// The stored count after the merge.
    Stored(i64),
    /// A new feature name, and the install already has `max_features` in this period.
    TooManyFeatures,
}

/// `count = max(count, local_count)`, atomically; answers the stored count. A feature name the
/// install has not used in this period is stored only while it has fewer than `max_features`
/// names; the five known features always are.
pub async fn reconcile(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: &FeatureName,
    local_count: i64,
    max_features: u32,
    now: Timestamp,
) -> Result<Reconciled, StoreError> {
    let mut tx = db.begin().await?;
    lock_pool_on(tx.conn(), install, period, now).await?;
    let merged = reconcile_locked(
        tx.conn(),
        install,
        period,
        feature,
        local_count,
        max_features,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(merged)
}

/// [`reconcile`] in the caller's transaction, which holds the install's pool lock. Writes
/// nothing when it answers [`Reconciled::TooManyFeatures`].
pub async fn reconcile_locked(
    mut conn: Conn<'_>,
    install: &InstallId,
    period: &Period,
    feature: &FeatureName,
    local_count: i64,
    max_features: u32,
    now: Timestamp,
) -> Result<Reconciled, StoreError> {
    if !feature.is_known() {
        let (exists, names) = fetch_one!(
            &mut conn,
            (i64, i64),
            "SELECT CAST(COALESCE(SUM(CASE WHEN feature = $3 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COUNT(*) AS BIGINT)
             FROM usage_counts WHERE install_id = $1 AND period = $2",
            install.as_str(),
            period.as_str(),
            feature.as_str()
        )?;
        if exists == 0 && names >= i64::from(max_features) {
            return Ok(Reconciled::TooManyFeatures);
        }
    }
    let stored = fetch_scalar!(
        &mut conn,
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
    Ok(Reconciled::Stored(stored))
}

/// The count of one feature (0 when never used).
pub async fn count(
    db: &Db,
    install: &InstallId,
    period: &Period,
    feature: &str,
) -> Result<i64, StoreError> {
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
pub async fn dump(db: &Db) -> Result<Vec<(String, String, String, i64)>, StoreError> {
    let mut r = db.reader().await?;
    Ok(fetch_all!(
        r.conn(),
        (String, String, String, i64),
        "SELECT install_id, period, feature, count FROM usage_counts
         ORDER BY install_id, period, feature"
    )?)
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
