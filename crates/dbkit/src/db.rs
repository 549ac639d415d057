//! The database handle: connect by URL, run the right engine's migrations, hand out connections.

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    ConnectOptions, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::{
    DbError, Reader, Tx,
    change_token::{self, ChangeToken},
    readers::Readers,
    writer::Writer,
};

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The two migration sets of a service; both folders hold the same version numbers.
#[derive(Clone, Copy)]
pub struct Migrations {
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
}

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// PostgreSQL pool size, or the SQLite read pool size.
    pub max_connections: u32,
    /// How long a request may wait for a connection (or SQLite's write lock).
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle on the service's database. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: readers share a pool; every write goes through the one writer connection.
    Sqlite {
        read: Readers,
        write: Writer,
        /// The database's `-shm` file (see [`Db::change_token`]).
        shm: Arc<Path>,
    },
    Postgres(PgPool),
}

impl Db {
    /// Open the database named by `url` (`sqlite://PATH` or `postgres://…`) and migrate it.
    pub async fn connect(
        url: &str,
        migrations: Migrations,
        opts: &DbOptions,
    ) -> Result<Db, DbError> {
        let db = Self::open(url, opts).await?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Open without migrating (used by `migrate` itself and by tests).
    pub async fn open(url: &str, opts: &DbOptions) -> Result<Db, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?
                .log_statements(tracing::log::LevelFilter::Trace)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(connect)
                .await?;
            Ok(Db::Postgres(pool))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            Self::open_sqlite(Path::new(path), opts).await
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    async fn open_sqlite(path: &Path, opts: &DbOptions) -> Result<Db, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        create_private(path)?;
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(opts.acquire_timeout)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            // sqlx hands rows from each connection's thread to the task through a bounded
            // channel; at the default 50 a year of slots means dozens of thread wake-ups per
            // query. Rows are small: let a whole result through without blocking.
            .row_buffer_size(4096)
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        // The writer is opened first so that it creates the file and switches it to WAL. It is
        // one connection behind a mutex, not a pool (see `writer`).
        let write = Writer::new(base.clone().connect().await?, opts.acquire_timeout);
        // Readers are ours too (see `readers`): no round trip to hand one out or take it back.
        let read = Readers::open(
            base.read_only(true),
            opts.max_connections.max(1) as usize,
            opts.acquire_timeout,
        )
        .await?;
        Ok(Db::Sqlite {
            read,
            write,
            shm: change_token::shm_path(path).into(),
        })
    }

    /// Apply this service's pending migrations for the engine in use.
    pub async fn migrate(&self, migrations: Migrations) -> Result<(), DbError> {
        match self {
            Db::Sqlite { write, .. } => {
                let mut held = write.hold().await?;
                migrations.sqlite.run(held.conn()).await?
            }
            Db::Postgres(pool) => migrations.postgres.run(pool).await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite { .. } => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Start a write transaction (`BEGIN IMMEDIATE` on SQLite, so read-then-write is safe).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => Ok(Tx::Sqlite(write.begin().await?)),
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
        }
    }

    /// A write "transaction" for a mutation that is exactly one SQL statement. On SQLite the
    /// statement runs on the one writer connection without `BEGIN`/`COMMIT`: SQLite makes a
    /// statement (and the triggers it fires) atomic by itself, and skipping the two extra round
    /// trips to the connection's thread is most of the cost of a small write. On PostgreSQL it
    /// is an ordinary [`Db::begin`], so callers that take row locks first keep their lock order.
    ///
    /// Run one statement on it, no more: two statements would be two transactions.
    pub async fn begin_single(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => Ok(Tx::SqliteSingle(write.hold().await?)),
            Db::Postgres(_) => self.begin().await,
        }
    }

    /// A connection for reads.
    pub async fn reader(&self) -> Result<Reader, sqlx::Error> {
        match self {
            Db::Sqlite { read, .. } => Ok(Reader::Sqlite(read.get().await?)),
            Db::Postgres(pool) => Ok(Reader::Postgres(pool.acquire().await?)),
        }
    }

    /// A token that changes with every commit to the database, by any connection of any process;
    /// `None` when there is none to be had (PostgreSQL, or SQLite caught mid-commit). See
    /// [`change_token`](crate::change_token).
    pub fn change_token(&self) -> Option<ChangeToken> {
        match self {
            Db::Sqlite { shm, .. } => change_token::read(shm),
            Db::Postgres(_) => None,
        }
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let mut r = self.reader().await?;
        let one: i32 = crate::on_conn!(r.conn(), |c| sqlx::query_scalar("SELECT 1")
            .fetch_one(c)
            .await)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Create the database file readable by its owner only (0600), if it does not exist yet. SQLite
/// gives its `-wal` and `-shm` files the database file's permissions, so they follow.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
