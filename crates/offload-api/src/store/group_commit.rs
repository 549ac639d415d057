//! Group commit: the writes of many requests share one transaction.
//!
//! Each admission (two rate-limit windows, then a quota reservation, a reconcile merge or
//! nothing), and each settlement of a reserved unit, is a small write; committed one by one they
//! capped the service at the database's commit rate (about 2,000/s on SQLite here, 850 on
//! PostgreSQL). So requests hand their write to one committer per process, which runs whatever
//! has queued up — up to [`MAX_BATCH`] — as one transaction and answers each request only once
//! that transaction has committed. Nobody waits for a batch to fill: under light load a batch
//! is one request; under load the requests that arrive while a batch commits form the next one.
//! Durability is that of any commit (no `synchronous_commit off`).
//!
//! Semantics are those of running the requests one after another in arrival order, which the
//! tests pin: a window's hits are counted in order (the first `limit` pass), a request refused
//! on its address does not count on its install id, reservations see the units held by the
//! requests before them. Across instances on one PostgreSQL, a batch takes its row locks in one
//! global order — address windows by key, then install windows by key, then quota pools by
//! (install, period) — and every later row it writes belongs to a pool it has locked, so two
//! batches cannot deadlock on each other. Should one fail anyway (a deadlock with some other
//! transaction, a bad row), it is retried, then its requests are run one per transaction so a
//! failure reaches only its own request. When the database is out of reach every request of the
//! batch gets the same answer at once (503), never one timeout after another.

use std::collections::BTreeMap;
use std::sync::{
    Arc, Mutex, Weak,
    atomic::{AtomicU64, Ordering},
};

use dbkit::{
    Db, Timestamp,
    ratelimit::{self, Rate},
};
use tokio::sync::{mpsc, oneshot};

use super::{
    StoreError,
    quota_many::{self, PoolKey},
    tokens::Spent,
    usage::{self, Period, Pool, Reconciled, ReservationId, Room},
};
use crate::model::ids::{Feature, FeatureName, InstallId};

/// The most requests one transaction carries.
pub const MAX_BATCH: usize = 128;

/// A request's admission: its two windows and what follows when both pass.
#[derive(Debug, Clone)]
pub struct Admit {
    /// The address window's bucket and rate (counted first).
    pub ip_bucket: String,
    pub ip_rate: Rate,
    /// The install window's bucket and rate (counted only when the address passes).
    pub install_bucket: String,
    pub install_rate: Rate,
    pub install: InstallId,
    pub now: Timestamp,
    pub then: Then,
}

/// What else the admission does once both limits pass.
#[derive(Debug, Clone)]
pub enum Then {
    /// Nothing (sessions).
    Nothing,
    /// The content is over the character limit: answer 413 (the slots stay used).
    TooLarge,
    /// Reserve a quota unit (AI pool features) until `expires_at`.
    Reserve {
        period: Period,
        feature: Feature,
        quota: u32,
        expires_at: Timestamp,
    },
    /// Merge the app's count of `feature` (reconcile).
    Reconcile {
        period: Period,
        feature: FeatureName,
        local_count: i64,
        max_features: u32,
    },
}

/// A refusal by a window: which dimension and how long until it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub dimension: &'static str,
    pub retry_after: u64,
}

/// The outcome of an admission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Both limits passed ([`Then::Nothing`]).
    Admitted,
    /// Both limits passed and this unit is now held ([`Then::Reserve`]).
    Reserved(ReservationId),
    /// Both limits passed and the merge stored this count ([`Then::Reconcile`]).
    Reconciled(i64),
    /// A new feature name beyond the install's limit ([`Then::Reconcile`]).
    TooManyFeatures,
    Throttled(Throttled),
    TooLarge,
    QuotaFull,
    /// The pool is full only of calls still in flight.
    QuotaBusy,
}

/// Keep a reserved unit: it becomes a count of `feature`, with the call's tokens.
#[derive(Debug, Clone)]
pub struct Settle {
    pub install: InstallId,
    pub period: Period,
    pub feature: Feature,
    pub id: ReservationId,
    pub spent: Spent,
    pub now: Timestamp,
}

#[derive(Debug, Clone)]
enum Work {
    Admit(Admit),
    Settle(Settle),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    Admission(Admission),
    Settled,
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Done, StoreError>>,
}

/// The per-process committer (cheap to clone). Its task starts with the first request, on that
/// request's runtime, and ends when the last clone is dropped.
#[derive(Clone)]
pub struct Committer {
    inner: Arc<Inner>,
}

/// How much sharing happened: transactions run and requests they carried (both since start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub batches: u64,
    pub requests: u64,
}

struct Inner {
    db: Db,
    deadline: std::time::Duration,
    batches: AtomicU64,
    requests: AtomicU64,
    sender: mpsc::UnboundedSender<Job>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<Job>>>,
}

impl Committer {
    /// `deadline`: the longest a request waits for its batch before it answers 503 (it covers
    /// the batches queued before it, each bounded by the pool's acquire timeout and the
    /// [`LOCK_TIMEOUT`]).
    pub fn new(db: Db, deadline: std::time::Duration) -> Committer {
        let (sender, receiver) = mpsc::unbounded_channel();
        Committer {
            inner: Arc::new(Inner {
                db,
                deadline,
                batches: AtomicU64::new(0),
                requests: AtomicU64::new(0),
                sender,
                receiver: Mutex::new(Some(receiver)),
            }),
        }
    }

    /// Count the request on its windows and do what follows, answered once committed.
    pub async fn admit(&self, admit: Admit) -> Result<Admission, StoreError> {
        match self.submit(Work::Admit(admit)).await? {
            Done::Admission(a) => Ok(a),
            Done::Settled => Err(unexpected()),
        }
    }

    /// Turn a reserved unit into a count, answered once committed.
    pub async fn settle(&self, settle: Settle) -> Result<(), StoreError> {
        match self.submit(Work::Settle(settle)).await? {
            Done::Settled => Ok(()),
            Done::Admission(_) => Err(unexpected()),
        }
    }

    pub fn totals(&self) -> Totals {
        Totals {
            batches: self.inner.batches.load(Ordering::Relaxed),
            requests: self.inner.requests.load(Ordering::Relaxed),
        }
    }

    async fn submit(&self, work: Work) -> Result<Done, StoreError> {
        self.start();
        let (reply, answer) = oneshot::channel();
        self.inner
            .sender
            .send(Job { work, reply })
            .map_err(|_| stopped())?;
        match tokio::time::timeout(self.inner.deadline, answer).await {
            Ok(answered) => answered.map_err(|_| stopped())?,
            // The batch may still commit: a reservation then finds no one and is given back.
            Err(_) => Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut)),
        }
    }

    fn start(&self) {
        let taken = match self.inner.receiver.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(receiver) = taken {
            let db = self.inner.db.clone();
            let inner = Arc::downgrade(&self.inner);
            tokio::spawn(run(db, receiver, inner));
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolClosed)
}

fn unexpected() -> StoreError {
    StoreError::Db(sqlx::Error::Protocol(
        "group commit answered another kind".into(),
    ))
}

/// One batch at a time: whatever queued while the last one committed. (On PostgreSQL, several
/// concurrent batches measured slower than one: they all wait on the same hot rows, an address's
/// window above all, and each carries fewer requests.)
async fn run(db: Db, mut receiver: mpsc::UnboundedReceiver<Job>, totals: Weak<Inner>) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if let Some(inner) = totals.upgrade() {
            inner.batches.fetch_add(1, Ordering::Relaxed);
            inner
                .requests
                .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        }
        // In a task of its own so that a panic costs only this batch (its requests answer 503).
        let db = db.clone();
        if let Err(e) = tokio::spawn(async move { commit_batch(&db, jobs).await }).await {
            tracing::error!(error = %e, "group_commit_batch_panicked");
        }
    }
}

/// Run `jobs` as one transaction and answer each; on failure see the module comment.
async fn commit_batch(db: &Db, jobs: Vec<Job>) {
    metrics::histogram!("offload_group_commit_batch_size").record(jobs.len() as f64);
    let works: Vec<&Work> = jobs.iter().map(|j| &j.work).collect();
    let mut outcome = execute(db, &works).await;
    for attempt in 1..=2u64 {
        match &outcome {
            Err(Failed::Before(e)) if retryable(e) => {
                // Two instances that deadlocked once should not meet again at the same instant.
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 5);
                tokio::time::sleep(std::time::Duration::from_millis(attempt * 2 + jitter)).await;
                outcome = execute(db, &works).await;
            }
            _ => break,
        }
    }
    let e = match outcome {
        Ok(done) => {
            for (job, done) in jobs.into_iter().zip(done) {
                answer(db, job, Ok(done));
            }
            return;
        }
        Err(Failed::Before(e)) if jobs.len() > 1 && !out_of_reach(&e) => e,
        // Out of reach, or the commit itself failed (it may have taken effect, so running the
        // requests again could count them twice): the same answer for all, at once.
        Err(Failed::Before(e) | Failed::AtCommit(e)) => {
            tracing::warn!(error = %e, requests = jobs.len(), "group_commit_failed");
            answer_all(db, jobs, &e);
            return;
        }
    };
    // Something in the batch fails: each request alone, so the failure reaches only its own.
    tracing::warn!(error = %e, requests = jobs.len(), "group_commit_split");
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        match execute(db, &[&job.work]).await {
            Ok(mut done) => answer(db, job, Ok(done.remove(0))),
            Err(Failed::Before(e) | Failed::AtCommit(e)) if out_of_reach(&e) => {
                let rest: Vec<Job> = std::iter::once(job).chain(jobs).collect();
                answer_all(db, rest, &e);
                return;
            }
            Err(Failed::Before(e) | Failed::AtCommit(e)) => answer(db, job, Err(e)),
        }
    }
}

/// Answer every job with (a copy of) `e`.
fn answer_all(db: &Db, jobs: Vec<Job>, e: &StoreError) {
    for job in jobs {
        answer(db, job, Err(copy(e)));
    }
}

/// The database is out of reach or a row stayed locked past `lock_timeout`: trying the same
/// requests again at once would only wait again.
fn out_of_reach(e: &StoreError) -> bool {
    match e {
        StoreError::Unavailable(_) => true,
        StoreError::Db(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("55P03" | "57014"))
        }
        _ => false,
    }
}

/// Send a request its answer. A reservation whose request has gone away is given back.
fn answer(db: &Db, job: Job, done: Result<Done, StoreError>) {
    if let Err(Ok(Done::Admission(Admission::Reserved(id)))) = job.reply.send(done)
        && let Work::Admit(Admit {
            install,
            then: Then::Reserve { period, .. },
            ..
        }) = job.work
    {
        let db = db.clone();
        tokio::spawn(async move {
            if let Err(e) = usage::release(&db, &install, &period, &id).await {
                tracing::error!(error = %e, "quota_release_failed");
            }
        });
    }
}

/// A deadlock or serialization failure (PostgreSQL); the batch may simply run again.
fn retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

/// The same error for every request of a failed batch (sqlx errors do not clone); a row locked
/// too long answers like an unreachable database (503, retry).
fn copy(e: &StoreError) -> StoreError {
    let text = || std::io::Error::other(e.to_string());
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(kind) => StoreError::Conflict(*kind),
        StoreError::Unavailable(_) => StoreError::Unavailable(sqlx::Error::Io(text())),
        StoreError::Db(_) if out_of_reach(e) => StoreError::Unavailable(sqlx::Error::Io(text())),
        StoreError::Db(_) => StoreError::Db(sqlx::Error::Protocol(e.to_string())),
    }
}

/// How a batch failed: before its commit (nothing was written), or at the commit (unknown).
enum Failed {
    Before(StoreError),
    AtCommit(StoreError),
}

impl<E: Into<StoreError>> From<E> for Failed {
    fn from(e: E) -> Self {
        Failed::Before(e.into())
    }
}

/// How long a batch waits for a row another transaction holds (PostgreSQL) before it gives up
/// and answers 503: a transaction left open elsewhere must not stall every request here.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";

/// One transaction for `works`, answering in their order.
async fn execute(db: &Db, works: &[&Work]) -> Result<Vec<Done>, Failed> {
    let mut tx = db.begin().await?;
    if tx.conn().is_postgres() {
        dbkit::execute!(tx.conn(), LOCK_TIMEOUT)?;
    }
    let mut done: Vec<Option<Done>> = vec![None; works.len()];
    let admits: Vec<(usize, &Admit)> = works
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Work::Admit(a) => Some((i, a)),
            Work::Settle(_) => None,
        })
        .collect();

    // 1. Address windows, by key.
    let by_ip = count_hits(&mut tx, &admits, |a| (&a.ip_bucket, a.ip_rate)).await?;
    for ((i, _), refused) in admits.iter().zip(&by_ip) {
        if let Some(retry_after) = refused {
            done[*i] = Some(throttled("ip", *retry_after));
        }
    }
    // 2. Install windows, by key, for the requests that passed their address.
    let passed: Vec<(usize, &Admit)> = admits
        .iter()
        .copied()
        .filter(|(i, _)| done[*i].is_none())
        .collect();
    let by_install = count_hits(&mut tx, &passed, |a| (&a.install_bucket, a.install_rate)).await?;
    for ((i, _), refused) in passed.iter().zip(&by_install) {
        if let Some(retry_after) = refused {
            done[*i] = Some(throttled("install_id", *retry_after));
        }
    }
    // 3. Quota pools, by (install, period): every row written below belongs to one of them.
    // Each pool, and whether a request reserves in it.
    let mut pools: BTreeMap<PoolKey<'_>, bool> = BTreeMap::new();
    for (i, work) in works.iter().enumerate() {
        let (install, period, reserves) = match work {
            Work::Admit(a) if done[i].is_none() => match &a.then {
                Then::Reserve { period, .. } => (&a.install, period, true),
                Then::Reconcile { period, .. } => (&a.install, period, false),
                Then::Nothing | Then::TooLarge => continue,
            },
            Work::Admit(_) => continue,
            Work::Settle(s) => (&s.install, &s.period, false),
        };
        *pools.entry((install, period)).or_default() |= reserves;
    }
    // The batch's clock: its latest request (reservations expire minutes after it).
    let now = works
        .iter()
        .map(|w| match w {
            Work::Admit(a) => a.now,
            Work::Settle(s) => s.now,
        })
        .max()
        .ok_or_else(unexpected)?;
    let keys: Vec<PoolKey<'_>> = pools.keys().copied().collect();
    quota_many::lock_on(tx.conn(), &keys, now).await?;
    let reserving: Vec<PoolKey<'_>> = pools
        .iter()
        .filter(|(_, reserves)| **reserves)
        .map(|(key, _)| *key)
        .collect();
    quota_many::delete_expired_on(tx.conn(), &reserving, now).await?;
    // 4. Each request's own rows: decided here in arrival order, written in a few statements.
    //    The settled calls' reservations leave first; until its settlement comes up in the
    //    order, a unit that was still held counts as held for the requests before it.
    let settles: Vec<(usize, &Settle)> = works
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Work::Settle(s) => Some((i, s)),
            Work::Admit(_) => None,
        })
        .collect();
    let taken: Vec<_> = settles
        .iter()
        .map(|(_, s)| (&s.install, &s.period, &s.id))
        .collect();
    let still_held = quota_many::take_reservations_on(tx.conn(), &taken, now).await?;
    let mut was_held = vec![false; works.len()];
    let mut outstanding: BTreeMap<PoolKey<'_>, i64> = BTreeMap::new();
    for ((i, s), held) in settles.iter().zip(still_held) {
        if held {
            was_held[*i] = true;
            *outstanding.entry((&s.install, &s.period)).or_default() += 1;
        }
    }
    let mut known: BTreeMap<PoolKey<'_>, Pool> = BTreeMap::new();
    let read = quota_many::pools_on(tx.conn(), &reserving, now).await?;
    for (key, pool) in reserving.iter().zip(read) {
        let held = outstanding.get(key).copied().unwrap_or(0);
        known.insert(
            *key,
            Pool {
                settled: pool.settled,
                held: pool.held + held,
            },
        );
    }
    let mut new = Vec::new();
    let mut additions = quota_many::Additions::default();
    for (i, work) in works.iter().enumerate() {
        if done[i].is_some() {
            continue;
        }
        done[i] = Some(match work {
            Work::Admit(a) => Done::Admission(match &a.then {
                Then::Nothing => Admission::Admitted,
                Then::TooLarge => Admission::TooLarge,
                Then::Reserve {
                    period,
                    feature,
                    quota,
                    expires_at,
                } => {
                    let key = (&a.install, period);
                    let pool = match known.get_mut(&key) {
                        Some(pool) => pool,
                        None => {
                            // Read again after a reconcile of this pool earlier in the batch.
                            write_pending(&mut tx, &mut new, &mut additions, now).await?;
                            let read = quota_many::pools_on(tx.conn(), &[key], now).await?;
                            let mut pool = read.first().copied().ok_or_else(unexpected)?;
                            pool.held += outstanding.get(&key).copied().unwrap_or(0);
                            known.entry(key).or_insert(pool)
                        }
                    };
                    match pool.room(*quota) {
                        Room::Free => {
                            pool.held += 1;
                            let id = ReservationId::random();
                            new.push(quota_many::NewReservation {
                                install: &a.install,
                                period,
                                id: id.clone(),
                                feature: *feature,
                                expires_at: *expires_at,
                            });
                            Admission::Reserved(id)
                        }
                        Room::Busy => Admission::QuotaBusy,
                        Room::Exhausted => Admission::QuotaFull,
                    }
                }
                Then::Reconcile {
                    period,
                    feature,
                    local_count,
                    max_features,
                } => {
                    // It reads the stored counts: write what the batch decided so far first.
                    write_pending(&mut tx, &mut new, &mut additions, now).await?;
                    known.remove(&(&a.install, period));
                    match usage::reconcile_locked(
                        tx.conn(),
                        &a.install,
                        period,
                        feature,
                        *local_count,
                        *max_features,
                        a.now,
                    )
                    .await?
                    {
                        Reconciled::Stored(n) => Admission::Reconciled(n),
                        Reconciled::TooManyFeatures => Admission::TooManyFeatures,
                    }
                }
            }),
            Work::Settle(s) => {
                let key = (&s.install, &s.period);
                if was_held[i] {
                    *outstanding.entry(key).or_default() -= 1;
                }
                if let Some(pool) = known.get_mut(&key) {
                    pool.held -= i64::from(was_held[i]);
                    pool.settled += i64::from(s.feature.counts_toward_pool());
                }
                additions.call(&s.install, &s.period, s.feature, s.spent, s.now);
                Done::Settled
            }
        });
    }
    write_pending(&mut tx, &mut new, &mut additions, now).await?;
    tx.commit().await.map_err(|e| Failed::AtCommit(e.into()))?;
    done.into_iter()
        .map(|d| d.ok_or_else(|| Failed::Before(unexpected())))
        .collect()
}

/// Write the reservations and counts decided so far.
async fn write_pending<'a>(
    tx: &mut dbkit::Tx,
    new: &mut Vec<quota_many::NewReservation<'a>>,
    additions: &mut quota_many::Additions<'a>,
    now: Timestamp,
) -> Result<(), StoreError> {
    quota_many::insert_reservations_on(tx.conn(), new).await?;
    new.clear();
    quota_many::add_on(tx.conn(), additions, now).await
}

fn throttled(dimension: &'static str, retry_after: u64) -> Done {
    Done::Admission(Admission::Throttled(Throttled {
        dimension,
        retry_after,
    }))
}

/// Count one hit per request on the window `window` names, in bucket key order (the lock
/// order): a bucket with several requests in [`ratelimit::hit_many`] (its first hits pass), and
/// each run of consecutive single-request buckets of one rate in one [`ratelimit::hit_each`]
/// statement. Answers, per request, `Some(retry_after)` when refused.
async fn count_hits<'a>(
    tx: &mut dbkit::Tx,
    admits: &[(usize, &'a Admit)],
    window: impl Fn(&'a Admit) -> (&'a String, Rate),
) -> Result<Vec<Option<u64>>, StoreError> {
    let mut buckets: BTreeMap<&str, (Rate, Timestamp, Vec<usize>)> = BTreeMap::new();
    for (k, (_, a)) in admits.iter().enumerate() {
        let (bucket, rate) = window(a);
        let entry = buckets
            .entry(bucket.as_str())
            .or_insert((rate, a.now, Vec::new()));
        entry.1 = entry.1.max(a.now);
        entry.2.push(k);
    }
    let mut refused = vec![None; admits.len()];
    // A run of single-request buckets sharing a rate, waiting to be sent in one statement.
    let mut run: Vec<(&str, usize)> = Vec::new();
    let mut run_rate: Option<(Rate, Timestamp)> = None;
    for (bucket, (rate, now, members)) in &buckets {
        if members.len() == 1 && run_rate.is_none_or(|(r, _)| r == *rate) {
            run.push((bucket, members[0]));
            run_rate = Some((*rate, run_rate.map_or(*now, |(_, t)| t.max(*now))));
            continue;
        }
        flush(tx, &mut run, run_rate.take(), &mut refused).await?;
        if members.len() == 1 {
            run.push((bucket, members[0]));
            run_rate = Some((*rate, *now));
            continue;
        }
        let n = u32::try_from(members.len()).unwrap_or(u32::MAX);
        let hits = ratelimit::hit_many(tx.conn(), bucket, *rate, *now, n).await?;
        for &k in members.iter().skip(hits.allowed as usize) {
            refused[k] = Some(hits.retry_after_secs);
        }
    }
    flush(tx, &mut run, run_rate, &mut refused).await?;
    Ok(refused)
}

/// Send a run of single-request buckets (see [`count_hits`]).
async fn flush(
    tx: &mut dbkit::Tx,
    run: &mut Vec<(&str, usize)>,
    rate: Option<(Rate, Timestamp)>,
    refused: &mut [Option<u64>],
) -> Result<(), StoreError> {
    let Some((rate, now)) = rate else {
        return Ok(());
    };
    let names: Vec<&str> = run.iter().map(|(b, _)| *b).collect();
    let decisions = ratelimit::hit_each(tx.conn(), &names, rate, now).await?;
    for ((_, k), d) in run.iter().zip(decisions) {
        if !d.allowed {
            refused[*k] = Some(d.retry_after_secs);
        }
    }
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    //! A batch answers and writes exactly what its requests would one after another: the same
    //! pseudo-random sequences of reservations, settlements and reconciles run as one batch on
    //! one database and one request per transaction on another.

    use dbkit::{fetch_all, testing::TestDb};
    use time::macros::datetime;

    use super::*;
    use crate::{config::QuotaPeriod, store};

    const QUOTA: u32 = 4;

    /// A tiny deterministic generator (xorshift), so a failing seed can be run again.
    struct Dice(u64);
    impl Dice {
        fn roll(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn admit(install: &InstallId, now: Timestamp, then: Then) -> Work {
        let rate = Rate {
            limit: 1_000,
            window: std::time::Duration::from_secs(60),
        };
        Work::Admit(Admit {
            ip_bucket: "ip".into(),
            ip_rate: rate,
            install_bucket: format!("install:{}", install.as_str()),
            install_rate: rate,
            install: install.clone(),
            now,
            then,
        })
    }

    fn reserve(
        install: &InstallId,
        now: Timestamp,
        feature: Feature,
        expires_at: Timestamp,
    ) -> Work {
        admit(
            install,
            now,
            Then::Reserve {
                period: period(),
                feature,
                quota: QUOTA,
                expires_at,
            },
        )
    }

    fn period() -> Period {
        Period::at(QuotaPeriod::Monthly, datetime!(2026-12-02 08:00 UTC))
    }

    fn at(second: i64) -> Timestamp {
        (datetime!(2026-12-02 08:00 UTC) + time::Duration::seconds(second)).into()
    }

    /// An answer without the random reservation id.
    fn shown(done: &Done) -> String {
        match done {
            Done::Admission(Admission::Reserved(_)) => "reserved".into(),
            other => format!("{other:?}"),
        }
    }

    /// Every stored row that a batch writes.
    async fn state(db: &Db) -> Vec<String> {
        let mut rows: Vec<String> = usage::dump(db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| format!("count {r:?}"))
            .collect();
        let mut r = db.reader().await.unwrap();
        let held: Vec<(String, String, i64)> = fetch_all!(
            r.conn(),
            (String, String, i64),
            "SELECT install_id, feature, CAST(COUNT(*) AS BIGINT) FROM quota_reservations
             GROUP BY install_id, feature ORDER BY install_id, feature"
        )
        .unwrap();
        rows.extend(held.into_iter().map(|h| format!("held {h:?}")));
        let tokens: Vec<(String, String, i64, i64, i64)> = fetch_all!(
            r.conn(),
            (String, String, i64, i64, i64),
            "SELECT install_id, feature, calls, input_tokens, output_tokens FROM usage_tokens
             ORDER BY install_id, feature"
        )
        .unwrap();
        rows.extend(tokens.into_iter().map(|t| format!("tokens {t:?}")));
        rows
    }

    /// Reserve `n` units of `install` one per transaction (the first `expired` of them expire
    /// before the batch runs).
    async fn held(db: &Db, install: &InstallId, n: usize, expired: usize) -> Vec<ReservationId> {
        let mut ids = Vec::new();
        for k in 0..n {
            let until = if k < expired { at(5) } else { at(600) };
            let work = reserve(install, at(0), Feature::Breakdown, until);
            match execute(db, &[&work]).await.ok().unwrap().remove(0) {
                Done::Admission(Admission::Reserved(id)) => ids.push(id),
                other => panic!("setup reservation refused: {other:?}"),
            }
        }
        ids
    }

    #[tokio::test]
    async fn a_batch_answers_and_writes_as_its_requests_one_after_another() {
        let batched = TestDb::new(store::migrations()).await;
        let alone = TestDb::new(store::migrations()).await;
        let features = [Feature::Breakdown, Feature::Decide, Feature::Braindump];
        for seed in 1..=25u64 {
            // Each sequence on installs of its own.
            let installs = [
                InstallId::parse(&format!("install-{seed:03}-a")).unwrap(),
                InstallId::parse(&format!("install-{seed:03}-b")).unwrap(),
            ];
            let mut ids = Vec::new();
            for db in [&batched.db, &alone.db] {
                let mut mine = Vec::new();
                for install in &installs {
                    mine.push(held(db, install, 4, 1).await);
                }
                ids.push(mine);
            }
            let mut dice = Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            // Which setup reservations are settled, once each, in a random place of the batch.
            let mut unsettled: Vec<(usize, usize)> =
                (0..2).flat_map(|i| (0..4).map(move |k| (i, k))).collect();
            let mut plan = Vec::new();
            for _ in 0..14 {
                let who = dice.roll(2) as usize;
                let step = match dice.roll(5) {
                    0 | 1 => ("reserve", who, dice.roll(3) as usize, 0),
                    4 => ("session", who, 0, 0),
                    2 if !unsettled.is_empty() => {
                        let (i, k) = unsettled.remove(dice.roll(unsettled.len() as u64) as usize);
                        ("settle", i, k, 0)
                    }
                    _ => ("reconcile", who, 0, dice.roll(8) as i64),
                };
                plan.push(step);
            }
            let now = at(60);
            let works = |side: usize| -> Vec<Work> {
                plan.iter()
                    .map(|&(kind, i, k, n)| match kind {
                        "reserve" => reserve(&installs[i], now, features[k], at(600)),
                        "session" => admit(&installs[i], now, Then::Nothing),
                        "settle" => Work::Settle(Settle {
                            install: installs[i].clone(),
                            period: period(),
                            feature: Feature::Breakdown,
                            id: ids[side][i][k].clone(),
                            spent: Spent {
                                input_tokens: 10 + k as u64,
                                output_tokens: 3,
                            },
                            now,
                        }),
                        _ => admit(
                            &installs[i],
                            now,
                            Then::Reconcile {
                                period: period(),
                                feature: FeatureName::parse("breakdown").unwrap(),
                                local_count: n,
                                max_features: 20,
                            },
                        ),
                    })
                    .collect()
            };
            let one_batch = works(0);
            let answers: Vec<String> = execute(&batched.db, &one_batch.iter().collect::<Vec<_>>())
                .await
                .ok()
                .unwrap()
                .iter()
                .map(shown)
                .collect();
            let mut expected = Vec::new();
            for work in &works(1) {
                expected.push(shown(&execute(&alone.db, &[work]).await.ok().unwrap()[0]));
            }
            assert_eq!(answers, expected, "seed {seed}: {plan:?}");
            assert_eq!(
                state(&batched.db).await,
                state(&alone.db).await,
                "seed {seed}: {plan:?}"
            );
        }
    }
}
