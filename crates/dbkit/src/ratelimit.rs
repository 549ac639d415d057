//! Fixed-window rate limiting with the windows kept in the database.
//!
//! Keeping the counters in the service's database (table `rate_limit_windows`, created by each
//! service's migrations) means every instance behind a load balancer sees the same windows and a
//! restart does not reset them. One atomic upsert per check, the same SQL on both engines.
//!
//! Semantics (those of the Offload original, which MealFrame shares): a window opens at a key's
//! first hit and lasts `window`; within it at most `limit` hits pass; a rejected hit does not
//! extend or refill the window. The answer says how long until the window closes, for
//! `Retry-After`.

use std::time::Duration;

use crate::{Conn, Db, Timestamp, on_conn};

/// The outcome of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Whole seconds until the current window closes (at least 1).
    pub retry_after_secs: u64,
}

/// A limit: `limit` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl Rate {
    /// Parse `"5/minute"`, `"3 per minute"`, `"100/hour"`, `"10/30s"`, `"2/second"`.
    pub fn parse(text: &str) -> Option<Rate> {
        let text = text.trim();
        let (n, unit) = text.split_once('/').or_else(|| text.split_once(" per "))?;
        let limit: u32 = n.trim().parse().ok()?;
        let unit = unit.trim().to_ascii_lowercase();
        let (count, unit) = match unit.find(|c: char| !c.is_ascii_digit()) {
            Some(0) | None => (1u64, unit.as_str()),
            Some(i) => (unit[..i].parse().ok()?, unit[i..].trim()),
        };
        let secs = match unit {
            "s" | "sec" | "second" | "seconds" => 1,
            "m" | "min" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return None,
        };
        (limit > 0 && count > 0).then(|| Rate {
            limit,
            window: Duration::from_secs(secs * count),
        })
    }

    /// The original's wording of a limit: `"5 per 1 minute"`.
    pub fn describe(&self) -> String {
        let secs = self.window.as_secs();
        let (n, unit) = if secs.is_multiple_of(86_400) {
            (secs / 86_400, "day")
        } else if secs.is_multiple_of(3600) {
            (secs / 3600, "hour")
        } else if secs.is_multiple_of(60) {
            (secs / 60, "minute")
        } else {
            (secs, "second")
        };
        format!("{} per {} {}", self.limit, n, unit)
    }
}

/// Count one hit for `bucket` at `now` and say whether it is allowed. Commits on its own, so a
/// hit counts even when the request it belongs to later fails.
pub async fn hit(
    db: &Db,
    bucket: &str,
    rate: Rate,
    now: Timestamp,
) -> Result<Decision, sqlx::Error> {
    let mut tx = db.begin().await?;
    let decision = hit_on(tx.conn(), bucket, rate, now).await?;
    tx.commit().await?;
    Ok(decision)
}

/// [`hit`] inside the caller's transaction, so that several limits (and other writes of the
/// same request) share one commit. The hit counts once that transaction commits.
pub async fn hit_on(
    conn: Conn<'_>,
    bucket: &str,
    rate: Rate,
    now: Timestamp,
) -> Result<Decision, sqlx::Error> {
    let now_ms = now.unix_micros() / 1_000;
    let window_ms = i64::try_from(rate.window.as_millis()).unwrap_or(i64::MAX);
    let limit = i64::from(rate.limit);
    let (start_ms, hits): (i64, i64) = on_conn!(conn, |c| sqlx::query_as(
        "INSERT INTO rate_limit_windows (bucket, window_start_ms, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
           window_start_ms = CASE WHEN $2 - rate_limit_windows.window_start_ms >= $3
                                  THEN $2 ELSE rate_limit_windows.window_start_ms END,
           hits = CASE WHEN $2 - rate_limit_windows.window_start_ms >= $3 THEN 1
                       WHEN rate_limit_windows.hits >= $4 THEN $4 + 1
                       ELSE rate_limit_windows.hits + 1 END
         RETURNING window_start_ms, hits"
    )
    .bind(bucket)
    .bind(now_ms)
    .bind(window_ms)
    .bind(limit)
    .fetch_one(c)
    .await)?;
    Ok(Decision {
        allowed: hits <= limit,
        retry_after_secs: retry_after(start_ms, window_ms, now_ms),
    })
}

/// The outcome of [`hit_many`]: how many of the hits passed (always the first ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub allowed: u32,
    /// Whole seconds until the current window closes (at least 1).
    pub retry_after_secs: u64,
}

/// `n` hits on `bucket` at `now` in the caller's transaction, with exactly the outcome of `n`
/// calls of [`hit_on`] in a row, in two statements whatever `n`: the first opens or reads the
/// window (and locks its row until commit), the second stores the new count. A group committer
/// uses it to count many requests of one address in one go.
pub async fn hit_many(
    mut conn: Conn<'_>,
    bucket: &str,
    rate: Rate,
    now: Timestamp,
    n: u32,
) -> Result<Hits, sqlx::Error> {
    if n == 0 {
        return Ok(Hits {
            allowed: 0,
            retry_after_secs: 1,
        });
    }
    if n == 1 {
        let d = hit_on(conn, bucket, rate, now).await?;
        return Ok(Hits {
            allowed: u32::from(d.allowed),
            retry_after_secs: d.retry_after_secs,
        });
    }
    let now_ms = now.unix_micros() / 1_000;
    let window_ms = i64::try_from(rate.window.as_millis()).unwrap_or(i64::MAX);
    let limit = i64::from(rate.limit);
    let (start_ms, before): (i64, i64) = on_conn!(&mut conn, |c| sqlx::query_as(
        "INSERT INTO rate_limit_windows (bucket, window_start_ms, hits) VALUES ($1, $2, 0)
         ON CONFLICT (bucket) DO UPDATE SET
           window_start_ms = CASE WHEN $2 - rate_limit_windows.window_start_ms >= $3
                                  THEN $2 ELSE rate_limit_windows.window_start_ms END,
           hits = CASE WHEN $2 - rate_limit_windows.window_start_ms >= $3 THEN 0
                       ELSE rate_limit_windows.hits END
         RETURNING window_start_ms, hits"
    )
    .bind(bucket)
    .bind(now_ms)
    .bind(window_ms)
    .fetch_one(c)
    .await)?;
    let (allowed, after) = apply_hits(before, i64::from(n), limit);
    on_conn!(&mut conn, |c| sqlx::query(
        "UPDATE rate_limit_windows SET hits = $2 WHERE bucket = $1"
    )
    .bind(bucket)
    .bind(after)
    .execute(c)
    .await
    .map(|_| ()))?;
    Ok(Hits {
        allowed: u32::try_from(allowed).unwrap_or(0),
        retry_after_secs: retry_after(start_ms, window_ms, now_ms),
    })
}

/// One hit on each of `buckets` (distinct, all limited by `rate`) in the caller's transaction, in
/// one statement; the same outcome as one [`hit_on`] per bucket in the given order (PostgreSQL
/// locks the rows in that order). Answers the decisions in the buckets' order.
pub async fn hit_each(
    mut conn: Conn<'_>,
    buckets: &[&str],
    rate: Rate,
    now: Timestamp,
) -> Result<Vec<Decision>, sqlx::Error> {
    use std::fmt::Write as _;
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let now_ms = now.unix_micros() / 1_000;
    let window_ms = i64::try_from(rate.window.as_millis()).unwrap_or(i64::MAX);
    let limit = i64::from(rate.limit);
    let mut sql =
        String::from("INSERT INTO rate_limit_windows (bucket, window_start_ms, hits) VALUES ");
    for i in 0..buckets.len() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}(${}, $1, 1)", i + 4);
    }
    sql.push_str(
        " ON CONFLICT (bucket) DO UPDATE SET
           window_start_ms = CASE WHEN $1 - rate_limit_windows.window_start_ms >= $2
                                  THEN $1 ELSE rate_limit_windows.window_start_ms END,
           hits = CASE WHEN $1 - rate_limit_windows.window_start_ms >= $2 THEN 1
                       WHEN rate_limit_windows.hits >= $3 THEN $3 + 1
                       ELSE rate_limit_windows.hits + 1 END
         RETURNING bucket, window_start_ms, hits",
    );
    let rows: Vec<(String, i64, i64)> = on_conn!(&mut conn, |c| {
        // Only placeholders are added to the text: no value is ever spliced in.
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now_ms)
            .bind(window_ms)
            .bind(limit);
        for b in buckets {
            q = q.bind(*b);
        }
        // One text per batch size: not worth a slot in the prepared-statement cache.
        q.persistent(false).fetch_all(c).await
    })?;
    let by_bucket: std::collections::HashMap<String, Decision> = rows
        .into_iter()
        .map(|(bucket, start_ms, hits)| {
            let decision = Decision {
                allowed: hits <= limit,
                retry_after_secs: retry_after(start_ms, window_ms, now_ms),
            };
            (bucket, decision)
        })
        .collect();
    buckets
        .iter()
        .map(|b| {
            by_bucket
                .get(*b)
                .copied()
                .ok_or_else(|| sqlx::Error::Protocol(format!("no window row came back for {b}")))
        })
        .collect()
}

/// `n` hits on a window holding `before` (one [`hit_on`] each): how many pass, and the count
/// after (a refused hit leaves it at `limit + 1`).
fn apply_hits(before: i64, n: i64, limit: i64) -> (i64, i64) {
    let allowed = (limit - before).clamp(0, n);
    let after = if before + n <= limit {
        before + n
    } else {
        limit + 1
    };
    (allowed, after)
}

fn retry_after(start_ms: i64, window_ms: i64, now_ms: i64) -> u64 {
    let remaining_ms = (start_ms + window_ms - now_ms).max(0);
    u64::try_from((remaining_ms + 999) / 1_000)
        .unwrap_or(1)
        .max(1)
}

/// Delete windows that closed before `cutoff` (housekeeping; any instance may run it).
pub async fn purge(db: &Db, cutoff: Timestamp) -> Result<u64, sqlx::Error> {
    let cutoff_ms = cutoff.unix_micros() / 1_000;
    let mut tx = db.begin().await?;
    let n = on_conn!(tx.conn(), |c| sqlx::query(
        "DELETE FROM rate_limit_windows WHERE window_start_ms < $1"
    )
    .bind(cutoff_ms)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        assert_eq!(
            Rate::parse("5/minute"),
            Some(Rate {
                limit: 5,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::parse("3 per minute"),
            Some(Rate {
                limit: 3,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            Rate::parse("100/hour"),
            Some(Rate {
                limit: 100,
                window: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            Rate::parse("10/30s"),
            Some(Rate {
                limit: 10,
                window: Duration::from_secs(30)
            })
        );
        assert_eq!(Rate::parse("0/minute"), None);
        assert_eq!(Rate::parse("five/minute"), None);
        assert_eq!(Rate::parse("5/fortnight"), None);
    }

    #[test]
    fn many_hits_count_like_one_hit_after_another() {
        for limit in 1..6 {
            for before in 0..=limit + 1 {
                for n in 1..9 {
                    let (mut hits, mut passed) = (before, 0);
                    for _ in 0..n {
                        if hits >= limit {
                            hits = limit + 1;
                        } else {
                            hits += 1;
                            passed += 1;
                        }
                    }
                    assert_eq!(apply_hits(before, n, limit), (passed, hits));
                }
            }
        }
    }

    #[test]
    fn describes_limits_like_the_original() {
        assert_eq!(
            Rate::parse("5/minute").unwrap().describe(),
            "5 per 1 minute"
        );
        assert_eq!(Rate::parse("3/2h").unwrap().describe(), "3 per 2 hour");
    }
}
