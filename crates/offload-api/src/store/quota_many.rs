//! The quota statements of a whole group-commit batch, each one statement however many requests
//! the batch carries. With one statement per request (as in `usage`), a batch took longer the
//! more it carried, so under load the committer's batches grew, every request waited through a
//! longer one, and the batches grew again. These keep a batch at a fixed handful of round trips.
//! The rules are those of the one-request functions in [`usage`](super::usage); the committer
//! decides in memory, in arrival order, and writes the result here (`group_commit::execute`).
//!
//! Every row touched belongs to a pool the caller's transaction has locked. Only placeholders
//! are added to the statements' text, never a value.

use std::{collections::HashMap, fmt::Write as _};

use dbkit::{Conn, Timestamp};

use super::{
    StoreError,
    tokens::{self, Spent},
    usage::{Period, Pool, ReservationId},
};
use crate::model::ids::{Feature, InstallId};

/// A quota pool: an install's period.
pub type PoolKey<'a> = (&'a InstallId, &'a Period);

/// `(install_id = $n AND period = $n+1 [AND id = $n+2]) OR …` for `count` groups of `width`
/// (2 or 3) placeholders numbered from `first`, the columns named with `table` before them.
fn any_of(table: &str, count: usize, first: usize, width: usize) -> String {
    let mut sql = String::new();
    for i in 0..count {
        let at = first + i * width;
        let sep = if i == 0 { "(" } else { " OR (" };
        let _ = write!(
            sql,
            "{sep}{table}install_id = ${at} AND {table}period = ${}",
            at + 1
        );
        if width == 3 {
            let _ = write!(sql, " AND {table}id = ${}", at + 2);
        }
        sql.push(')');
    }
    sql
}

/// `($f, $f+1, …), (…)` for `rows` rows of `width` placeholders from `first`, followed by
/// `tail` inside each row (shared placeholders such as the timestamp).
fn rows(rows: usize, first: usize, width: usize, tail: &str) -> String {
    let mut sql = String::new();
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            let sep = if c == 0 { "" } else { ", " };
            let _ = write!(sql, "{sep}${}", first + r * width + c);
        }
        sql.push_str(tail);
        sql.push(')');
    }
    sql
}

/// Run `sql` with `now` as `$1` and each pool's install and period as the next two placeholders.
async fn for_pools(
    mut conn: Conn<'_>,
    sql: &str,
    pools: &[PoolKey<'_>],
    now: Timestamp,
) -> Result<(), StoreError> {
    dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for (install, period) in pools {
            q = q.bind(install.as_str()).bind(period.as_str());
        }
        // One text per batch size: not worth a slot in the prepared-statement cache.
        q.persistent(false).execute(c).await.map(|_| ())
    })?;
    Ok(())
}

/// Take the pool locks of `pools` in the order given ([`usage::lock_pool_on`](super::usage::lock_pool_on)
/// for each; callers sort them: the lock order across concurrent batches).
pub async fn lock_on(
    conn: Conn<'_>,
    pools: &[PoolKey<'_>],
    now: Timestamp,
) -> Result<(), StoreError> {
    match pools {
        [] => return Ok(()),
        // One pool (most batches at light load): the one-pool statement, kept prepared.
        [(install, period)] => return super::usage::lock_pool_on(conn, install, period, now).await,
        _ => {}
    }
    let sql = format!(
        "INSERT INTO quota_pools (install_id, period, touched_at) VALUES {}
         ON CONFLICT (install_id, period) DO UPDATE SET touched_at = excluded.touched_at",
        rows(pools.len(), 2, 2, ", $1")
    );
    for_pools(conn, &sql, pools, now).await
}

/// Delete the expired reservations of `pools` ([`usage::delete_expired_on`](super::usage::delete_expired_on) for each).
pub async fn delete_expired_on(
    conn: Conn<'_>,
    pools: &[PoolKey<'_>],
    now: Timestamp,
) -> Result<(), StoreError> {
    if pools.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM quota_reservations WHERE expires_at <= $1 AND ({})",
        any_of("", pools.len(), 2, 2)
    );
    for_pools(conn, &sql, pools, now).await
}

/// Remove the reservations of settled calls; answers, per reservation, whether it still held a
/// unit at `now` (it had not expired). A reservation already gone answers `false`.
pub async fn take_reservations_on(
    mut conn: Conn<'_>,
    held: &[(&InstallId, &Period, &ReservationId)],
    now: Timestamp,
) -> Result<Vec<bool>, StoreError> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "DELETE FROM quota_reservations WHERE {}
         RETURNING id, CAST(CASE WHEN expires_at > $1 THEN 1 ELSE 0 END AS BIGINT)",
        any_of("", held.len(), 2, 3)
    );
    let gone: Vec<(String, i64)> = dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
        for (install, period, id) in held {
            q = q
                .bind(install.as_str())
                .bind(period.as_str())
                .bind(id.as_str());
        }
        q.persistent(false).fetch_all(c).await
    })?;
    let gone: HashMap<String, bool> = gone.into_iter().map(|(id, live)| (id, live == 1)).collect();
    Ok(held
        .iter()
        .map(|(_, _, id)| gone.get(id.as_str()).copied().unwrap_or(false))
        .collect())
}

/// The settled and held units of each of `pools` at `now`, in their order (the pools' rows
/// exist: the caller's transaction locked them).
pub async fn pools_on(
    mut conn: Conn<'_>,
    pools: &[PoolKey<'_>],
    now: Timestamp,
) -> Result<Vec<Pool>, StoreError> {
    if pools.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT q.install_id, q.period,
           CAST(COALESCE((SELECT SUM(u.count) FROM usage_counts u
                          WHERE u.install_id = q.install_id AND u.period = q.period
                            AND u.feature IN ('breakdown', 'braindump', 'decide')), 0) AS BIGINT),
           CAST((SELECT COUNT(*) FROM quota_reservations r
                 WHERE r.install_id = q.install_id AND r.period = q.period
                   AND r.expires_at > $1) AS BIGINT)
         FROM quota_pools q WHERE {}",
        any_of("q.", pools.len(), 2, 2)
    );
    let found: Vec<(String, String, i64, i64)> = dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
        for (install, period) in pools {
            q = q.bind(install.as_str()).bind(period.as_str());
        }
        q.persistent(false).fetch_all(c).await
    })?;
    let found: HashMap<(String, String), Pool> = found
        .into_iter()
        .map(|(i, p, settled, held)| ((i, p), Pool { settled, held }))
        .collect();
    Ok(pools
        .iter()
        .map(|(i, p)| {
            found
                .get(&(i.as_str().to_owned(), p.as_str().to_owned()))
                .copied()
                .unwrap_or(Pool {
                    settled: 0,
                    held: 0,
                })
        })
        .collect())
}

/// A unit to hold ([`usage::reserve_locked`](super::usage::reserve_locked) found room for it).
pub struct NewReservation<'a> {
    pub install: &'a InstallId,
    pub period: &'a Period,
    pub id: ReservationId,
    pub feature: Feature,
    pub expires_at: Timestamp,
}

/// Insert the reservations.
pub async fn insert_reservations_on(
    mut conn: Conn<'_>,
    new: &[NewReservation<'_>],
) -> Result<(), StoreError> {
    if new.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO quota_reservations (install_id, period, id, feature, expires_at) VALUES {}",
        rows(new.len(), 1, 5, "")
    );
    dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for r in new {
            q = q
                .bind(r.install.as_str())
                .bind(r.period.as_str())
                .bind(r.id.as_str())
                .bind(r.feature.key())
                .bind(r.expires_at);
        }
        q.persistent(false).execute(c).await.map(|_| ())
    })?;
    Ok(())
}

/// What settled calls add to the counts and token totals, summed per row.
#[derive(Default)]
pub struct Additions<'a> {
    counts: HashMap<(&'a InstallId, &'a Period, Feature), i64>,
    tokens: HashMap<(&'a InstallId, String, Feature), (i64, i64, i64)>,
}

impl<'a> Additions<'a> {
    /// One counted call of `feature` in `period` that used `spent`.
    pub fn call(
        &mut self,
        install: &'a InstallId,
        period: &'a Period,
        feature: Feature,
        spent: Spent,
        now: Timestamp,
    ) {
        *self.counts.entry((install, period, feature)).or_default() += 1;
        let month = tokens::month_of(now.into());
        let t = self.tokens.entry((install, month, feature)).or_default();
        t.0 += 1;
        t.1 = t.1.saturating_add(tokens::clamp(spent.input_tokens));
        t.2 = t.2.saturating_add(tokens::clamp(spent.output_tokens));
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Write `additions` (two statements) and empty them.
pub async fn add_on(
    mut conn: Conn<'_>,
    additions: &mut Additions<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    if additions.is_empty() {
        return Ok(());
    }
    // Sorted, so that concurrent batches write shared rows in one order.
    let mut counts: Vec<_> = additions.counts.drain().collect();
    counts.sort_by(|a, b| {
        (a.0.0.as_str(), a.0.1.as_str(), a.0.2.key()).cmp(&(
            b.0.0.as_str(),
            b.0.1.as_str(),
            b.0.2.key(),
        ))
    });
    let sql = format!(
        "INSERT INTO usage_counts (install_id, period, feature, count, updated_at) VALUES {}
         ON CONFLICT (install_id, period, feature)
         DO UPDATE SET count = usage_counts.count + excluded.count,
                       updated_at = excluded.updated_at",
        rows(counts.len(), 2, 4, ", $1")
    );
    dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
        for ((install, period, feature), n) in &counts {
            q = q
                .bind(install.as_str())
                .bind(period.as_str())
                .bind(feature.key())
                .bind(*n);
        }
        q.persistent(false).execute(c).await.map(|_| ())
    })?;
    let mut totals: Vec<_> = additions.tokens.drain().collect();
    totals.sort_by(|a, b| {
        (a.0.0.as_str(), a.0.1.as_str(), a.0.2.key()).cmp(&(
            b.0.0.as_str(),
            b.0.1.as_str(),
            b.0.2.key(),
        ))
    });
    let sql = format!(
        "INSERT INTO usage_tokens
           (install_id, month, feature, calls, input_tokens, output_tokens, updated_at)
         VALUES {}
         ON CONFLICT (install_id, month, feature) DO UPDATE SET
           calls = usage_tokens.calls + excluded.calls,
           input_tokens = usage_tokens.input_tokens + excluded.input_tokens,
           output_tokens = usage_tokens.output_tokens + excluded.output_tokens,
           updated_at = excluded.updated_at",
        rows(totals.len(), 2, 6, ", $1")
    );
    dbkit::on_conn!(&mut conn, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(now);
        for ((install, month, feature), (calls, input, output)) in &totals {
            q = q
                .bind(install.as_str())
                .bind(month.as_str())
                .bind(feature.key())
                .bind(*calls)
                .bind(*input)
                .bind(*output);
        }
        q.persistent(false).execute(c).await.map(|_| ())
    })?;
    Ok(())
}
