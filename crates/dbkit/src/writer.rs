//! SQLite's one writer connection, held behind an async mutex instead of a pool.
//!
//! Every write waits for this connection in turn, so whatever happens between two writes is in
//! every write's latency. A pool of one added two things there: a task spawned on release and a
//! ping round trip to the connection's thread before the next writer could have it. Under load
//! (two cores shared with eight readers) each round trip waits to be scheduled, so the writer
//! handed out ~300 keyed marks a second. Behind a mutex, taking and giving back the connection
//! costs no round trip at all.
//!
//! A transaction left without `COMMIT` or `ROLLBACK` (an early return, a cancelled request) is
//! rolled back before anyone else writes: the drop hands the connection to a task that rolls back
//! and only then lets it go, and should no runtime be there, the next holder rolls back first.

use std::{fmt, sync::Arc, time::Duration};

use sqlx::{Connection, Executor, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone)]
pub struct Writer {
    state: Arc<Mutex<State>>,
    acquire_timeout: Duration,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

struct State {
    /// `None` once closed.
    conn: Option<SqliteConnection>,
    /// A `BEGIN` ran and neither `COMMIT` nor `ROLLBACK` has yet.
    in_transaction: bool,
}

/// The writer, held: exclusive use of the connection until dropped.
pub struct Held {
    guard: Option<OwnedMutexGuard<State>>,
}

impl Writer {
    pub(crate) fn new(conn: SqliteConnection, acquire_timeout: Duration) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(State {
                conn: Some(conn),
                in_transaction: false,
            })),
            acquire_timeout,
        }
    }

    /// The connection, with no transaction open (waits up to the acquire timeout, like a pool).
    pub(crate) async fn hold(&self) -> Result<Held, sqlx::Error> {
        let mut guard = tokio::time::timeout(self.acquire_timeout, self.state.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        let state = &mut *guard;
        if state.in_transaction {
            state.roll_back().await;
        }
        state.conn()?;
        Ok(Held { guard: Some(guard) })
    }

    /// The connection inside `BEGIN IMMEDIATE`.
    pub(crate) async fn begin(&self) -> Result<Held, sqlx::Error> {
        let mut held = self.hold().await?;
        let state = held.state();
        // Flagged before the statement is sent: if this future is dropped while the connection's
        // thread runs the BEGIN, the drop must still roll it back (a ROLLBACK with no
        // transaction open only answers an error, which is ignored).
        state.in_transaction = true;
        if let Err(e) = state.conn()?.execute("BEGIN IMMEDIATE").await {
            state.in_transaction = false;
            return Err(e);
        }
        Ok(held)
    }

    /// Close the connection (later holders get `PoolClosed`).
    pub(crate) async fn close(&self) {
        let conn = self.state.lock().await.conn.take();
        if let Some(conn) = conn {
            let _ = conn.close().await;
        }
    }
}

impl State {
    fn conn(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// End a transaction left open. Whatever `ROLLBACK` answers, none is open afterwards.
    async fn roll_back(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            let _ = conn.execute("ROLLBACK").await;
        }
        self.in_transaction = false;
    }
}

impl Held {
    fn state(&mut self) -> &mut State {
        self.guard.as_mut().expect("held until dropped")
    }

    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        self.state()
            .conn
            .as_mut()
            .expect("a held writer is open: hold() checked")
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.finish("COMMIT").await
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        self.finish("ROLLBACK").await
    }

    /// End the transaction with `sql`; if that fails it stays flagged, and the drop rolls it back.
    async fn finish(mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        let state = self.state();
        state.conn()?.execute(sql).await?;
        state.in_transaction = false;
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        if !guard.in_transaction {
            return;
        }
        // Roll back before the next writer gets the connection; without a runtime (shutdown),
        // the next `hold` does it.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { guard.roll_back().await });
        }
    }
}
