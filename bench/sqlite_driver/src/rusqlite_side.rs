//! The candidate engine: rusqlite connections each owned by a dedicated thread (N reader threads
//! sharing one job queue, one writer thread), where a whole unit of work is *one* closure sent to
//! a connection thread and answered through a `tokio::sync::oneshot` — one hand-off per unit of
//! work instead of one (or more) per statement. Statements come from `prepare_cached`.

use std::{
    path::Path,
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::setup::{MealRow, Q_BY_ID, Q_COUNT, Q_LIST, W_CALORIES, W_PROTEIN, open_rusqlite};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A few threads, each owning one connection, taking closures from a shared queue.
pub struct ConnThreads {
    queue: Option<mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl ConnThreads {
    /// Start `n` threads; each opens its connection with `open` before taking jobs.
    pub fn spawn(
        name: &str,
        n: usize,
        open: impl Fn() -> rusqlite::Result<Connection> + Send + Sync + 'static,
    ) -> rusqlite::Result<ConnThreads> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let open = Arc::new(open);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            // Open here so that a bad path fails `spawn`, then move the connection in.
            let mut conn = open()?;
            let jobs = Arc::clone(&jobs);
            let handle = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, not while
                        // running it.
                        let job = match jobs.lock().expect("job queue lock").recv() {
                            Ok(job) => job,
                            Err(_) => break, // queue closed: shut down
                        };
                        job(&mut conn);
                    }
                })
                .expect("spawn connection thread");
            threads.push(handle);
        }
        Ok(ConnThreads {
            queue: Some(queue),
            threads,
        })
    }

    /// Run `f` on one of the connection threads and wait for its result without blocking the
    /// runtime.
    pub async fn run<R, F>(&self, f: F) -> R
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.queue
            .as_ref()
            .expect("pool is open")
            .send(job)
            .expect("connection threads are running");
        rx.await.expect("the unit of work panicked")
    }

    /// Close the queue and wait for the threads to finish their jobs.
    pub fn close(&mut self) {
        self.queue = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for ConnThreads {
    fn drop(&mut self) {
        self.close();
    }
}

/// The rusqlite counterpart of dbkit's `Db::Sqlite`.
pub struct RusqliteDb {
    read: ConnThreads,
    write: ConnThreads,
}

fn meal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MealRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

impl RusqliteDb {
    pub fn open(path: &Path, readers: usize) -> rusqlite::Result<RusqliteDb> {
        let p = path.to_path_buf();
        let write = ConnThreads::spawn("sqlite-w", 1, move || open_rusqlite(&p, false))?;
        let p = path.to_path_buf();
        let read = ConnThreads::spawn("sqlite-r", readers.max(1), move || open_rusqlite(&p, true))?;
        Ok(RusqliteDb { read, write })
    }

    /// The same four reads as [`crate::sqlx_side::SqlxDb::read_unit`], as one closure.
    pub async fn read_unit(&self, user: Uuid, m1: Uuid, m2: Uuid) -> rusqlite::Result<u64> {
        self.read
            .run(move |c| {
                let list = c
                    .prepare_cached(Q_LIST)?
                    .query_map(params![user], meal_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut by_id = c.prepare_cached(Q_BY_ID)?;
                let a = by_id.query_row(params![m1], meal_row).optional()?;
                let b = by_id.query_row(params![m2], meal_row).optional()?;
                let n: i64 = c
                    .prepare_cached(Q_COUNT)?
                    .query_row(params![user], |r| r.get(0))?;
                Ok(crate::checksum(&list, a.as_ref(), b.as_ref(), n))
            })
            .await
    }

    /// The same four primary-key reads as [`crate::sqlx_side::SqlxDb::point_unit`].
    pub async fn point_unit(&self, ids: [Uuid; 4]) -> rusqlite::Result<u64> {
        self.read
            .run(move |c| {
                let mut by_id = c.prepare_cached(Q_BY_ID)?;
                let mut rows = Vec::with_capacity(4);
                for id in ids {
                    rows.extend(by_id.query_row(params![id], meal_row).optional()?);
                }
                Ok(crate::checksum(&rows, None, None, 0))
            })
            .await
    }

    /// One UPDATE in autocommit on the writer thread.
    pub async fn write_single(&self, id: Uuid, kcal: i64, now: i64) -> rusqlite::Result<u64> {
        self.write
            .run(move |c| {
                let n = c
                    .prepare_cached(W_CALORIES)?
                    .execute(params![kcal, now, id])?;
                Ok(n as u64)
            })
            .await
    }

    /// BEGIN IMMEDIATE; two UPDATEs; COMMIT — as one closure on the writer thread.
    pub async fn write_tx(&self, a: Uuid, b: Uuid, v: i64, now: i64) -> rusqlite::Result<u64> {
        self.write
            .run(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let x = tx.prepare_cached(W_CALORIES)?.execute(params![v, now, a])?;
                let y = tx.prepare_cached(W_PROTEIN)?.execute(params![v, now, b])?;
                tx.commit()?;
                Ok((x + y) as u64)
            })
            .await
    }

    pub fn close(&mut self) {
        self.read.close();
        self.write.close();
    }
}
