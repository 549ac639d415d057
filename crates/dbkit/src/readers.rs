//! SQLite's read-only connections: a fixed number, handed out and given back without a round
//! trip to their threads.
//!
//! sqlx's pool pings every connection that comes back (a spawned task and a round trip to the
//! connection's thread) — on every read. A SQLite connection is an in-process handle that
//! cannot drop like a socket, so here a connection goes back on the idle list as it is dropped,
//! and a semaphore bounds how many are in use. Connections open on first need and stay open.
//!
//! A read dropped mid-statement (a cancelled request) is safe to hand on: sqlx's connection
//! thread stops stepping a statement whose receiver is gone and resets it, and the next command
//! waits behind it.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use sqlx::{ConnectOptions, Connection, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Clone)]
pub struct Readers {
    inner: Arc<Inner>,
}

struct Inner {
    options: SqliteConnectOptions,
    idle: Mutex<Vec<SqliteConnection>>,
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
}

impl fmt::Debug for Readers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readers").finish_non_exhaustive()
    }
}

/// A reader in use; goes back to the idle list when dropped.
pub struct ReadConn {
    conn: Option<SqliteConnection>,
    home: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Readers {
    /// Up to `max` connections opened with `options` (read-only), the first one now so that a
    /// bad path fails at start-up.
    pub(crate) async fn open(
        options: SqliteConnectOptions,
        max: usize,
        acquire_timeout: Duration,
    ) -> Result<Readers, sqlx::Error> {
        let first = options.connect().await?;
        Ok(Readers {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(vec![first]),
                permits: Arc::new(Semaphore::new(max.max(1))),
                acquire_timeout,
            }),
        })
    }

    /// A connection: an idle one, else a new one while fewer than `max` are open, else wait
    /// (up to the acquire timeout, like a pool).
    pub(crate) async fn get(&self) -> Result<ReadConn, sqlx::Error> {
        let permit = tokio::time::timeout(
            self.inner.acquire_timeout,
            self.inner.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.inner.lock_idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.inner.options.connect().await?,
        };
        Ok(ReadConn {
            conn: Some(conn),
            home: self.inner.clone(),
            _permit: permit,
        })
    }

    /// Refuse new reads and close the idle connections (one in use closes when dropped).
    pub(crate) async fn close(&self) {
        let idle = {
            let mut idle = self.inner.lock_idle();
            self.inner.permits.close();
            std::mem::take(&mut *idle)
        };
        for conn in idle {
            let _ = conn.close().await;
        }
    }
}

impl Inner {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<SqliteConnection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ReadConn {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        // Back on the idle list before the permit (a field, dropped after this) lets the next
        // reader in; after `close` it is simply dropped, which ends its thread.
        if let Some(conn) = self.conn.take() {
            // Checked under the lock `close` empties the list with, so nothing lands on it after.
            let mut idle = self.home.lock_idle();
            if !self.home.permits.is_closed() {
                idle.push(conn);
            }
        }
    }
}
