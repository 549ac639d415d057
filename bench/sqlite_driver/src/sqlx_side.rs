//! Today's engine: sqlx-sqlite opened exactly as dbkit opens it (a read-only reader pool, one
//! writer connection, the same connect options), and the three units of work written the way
//! dbkit's store functions run them — one `.await` per statement, each statement handed to the
//! connection's worker thread and its rows sent back through a channel.

use std::{path::Path, time::Duration};

use sqlx::{
    ConnectOptions, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use uuid::Uuid;

use crate::setup::{MealRow, Q_BY_ID, Q_COUNT, Q_LIST, W_CALORIES, W_PROTEIN};

/// dbkit's `Db::Sqlite { read, write }`.
#[derive(Clone)]
pub struct SqlxDb {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqlxDb {
    /// `crates/dbkit/src/db.rs`, `open_sqlite`, with `DbOptions::default()` except the reader
    /// count. `test_before_acquire` is sqlx's default (true, as in dbkit): every `acquire` pings
    /// the connection's worker thread first; `false` is the variant that skips that round trip.
    pub async fn open(
        path: &Path,
        readers: u32,
        test_before_acquire: bool,
    ) -> Result<SqlxDb, sqlx::Error> {
        let acquire_timeout = Duration::from_secs(10);
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(acquire_timeout)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            .row_buffer_size(4096)
            .log_statements(log::LevelFilter::Trace)
            .log_slow_statements(log::LevelFilter::Warn, Duration::from_millis(500));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(test_before_acquire)
            .connect_with(base.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(test_before_acquire)
            .connect_with(base.read_only(true))
            .await?;
        Ok(SqlxDb { read, write })
    }

    /// Four indexed reads on one pooled reader connection (dbkit's `Db::reader` + `fetch_*!`).
    /// Returns a checksum of what was read.
    pub async fn read_unit(&self, user: Uuid, m1: Uuid, m2: Uuid) -> Result<u64, sqlx::Error> {
        let mut conn = self.read.acquire().await?;
        let list = sqlx::query_as::<_, MealRow>(Q_LIST)
            .bind(user)
            .fetch_all(&mut *conn)
            .await?;
        let a = sqlx::query_as::<_, MealRow>(Q_BY_ID)
            .bind(m1)
            .fetch_optional(&mut *conn)
            .await?;
        let b = sqlx::query_as::<_, MealRow>(Q_BY_ID)
            .bind(m2)
            .fetch_optional(&mut *conn)
            .await?;
        let n = sqlx::query_scalar::<_, i64>(Q_COUNT)
            .bind(user)
            .fetch_one(&mut *conn)
            .await?;
        Ok(crate::checksum(&list, a.as_ref(), b.as_ref(), n))
    }

    /// Four primary-key reads on one pooled reader connection: the case where the per-statement
    /// hand-off weighs most against SQLite's own work.
    pub async fn point_unit(&self, ids: [Uuid; 4]) -> Result<u64, sqlx::Error> {
        let mut conn = self.read.acquire().await?;
        let mut rows = Vec::with_capacity(4);
        for id in ids {
            let row = sqlx::query_as::<_, MealRow>(Q_BY_ID)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            rows.extend(row);
        }
        Ok(crate::checksum(&rows, None, None, 0))
    }

    /// One UPDATE in autocommit on the writer connection (dbkit's `Db::begin_single`).
    pub async fn write_single(&self, id: Uuid, kcal: i64, now: i64) -> Result<u64, sqlx::Error> {
        let mut conn = self.write.acquire().await?;
        let done = sqlx::query(W_CALORIES)
            .bind(kcal)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    }

    /// BEGIN IMMEDIATE; two UPDATEs; COMMIT (dbkit's `Db::begin` + two `execute!` + `commit`).
    pub async fn write_tx(&self, a: Uuid, b: Uuid, v: i64, now: i64) -> Result<u64, sqlx::Error> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let x = sqlx::query(W_CALORIES)
            .bind(v)
            .bind(now)
            .bind(a)
            .execute(&mut *tx)
            .await?;
        let y = sqlx::query(W_PROTEIN)
            .bind(v)
            .bind(now)
            .bind(b)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(x.rows_affected() + y.rows_affected())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}
