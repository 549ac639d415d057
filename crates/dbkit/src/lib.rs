//! dbkit: the storage plumbing both services share.
//!
//! Both servers keep their state either in an embedded SQLite file (the default) or in PostgreSQL.
//! Rather than sqlx's `Any` driver (which only carries a handful of primitive types), we keep both
//! native drivers and write each query once: [`on_conn!`] expands a query body once per engine, so
//! the same SQL text (with `$1` placeholders, understood by both) is type-checked against each.
//!
//! * [`Db`] is the handle: a PostgreSQL pool, or for SQLite a multi-connection read pool plus one
//!   writer connection behind an async mutex, so writers queue in-process instead of failing with
//!   `SQLITE_BUSY`. Write transactions start with `BEGIN IMMEDIATE` on SQLite.
//! * [`Tx`] is a write transaction, [`Reader`] a pooled connection for reads; both hand out a
//!   [`Conn`] that repository functions take.
//! * [`Timestamp`] stores UTC instants at microsecond precision identically on both engines.
//! * [`Db::change_token`] tells, without a query, whether a SQLite database changed since an
//!   earlier look (a commit by any connection of any process), so hot rows can be cached safely.
//! * [`Notices`] is PostgreSQL's counterpart: changes announced with `NOTIFY` and a shared read
//!   fence, so a cache knows it has heard of every commit that came before a request.
//! * [`ratelimit`] keeps fixed-window counters in the database so several instances share them.
//! * [`testing`] creates a fresh database per test on either engine.

pub mod change_token;
mod conn;
mod db;
mod error;
pub mod notices;
pub mod ratelimit;
mod readers;
pub mod testing;
mod timestamp;
mod writer;

pub use change_token::ChangeToken;
pub use conn::{Conn, Reader, Tx};
pub use db::{Db, DbOptions, Engine, Migrations};
pub use error::{ConstraintKind, DbError, constraint_kind};
pub use notices::{Notice, Notices};
pub use timestamp::Timestamp;

/// Re-exported so that crates using [`on_conn!`] name the same sqlx.
pub use sqlx;

/// Run one query body against whichever engine a [`Conn`] holds.
///
/// ```ignore
/// let n: i64 = on_conn!(conn, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users")
///     .fetch_one(c).await)?;
/// ```
/// The body is compiled twice, once with `c: &mut SqliteConnection` and once with
/// `c: &mut PgConnection`; both must type-check, which is what keeps one SQL text honest.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite(inner) => {
                let $c: &mut $crate::sqlx::SqliteConnection = inner;
                $body
            }
            $crate::Conn::Postgres(inner) => {
                let $c: &mut $crate::sqlx::PgConnection = inner;
                $body
            }
        }
    };
}

/// Execute a statement on either engine; evaluates to `Result<u64, sqlx::Error>` (rows affected).
///
/// `execute!(conn, "UPDATE t SET a = $1 WHERE id = $2", a, id)`
#[macro_export]
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($conn, |c| $crate::sqlx::query($sql)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()))
    };
}

/// Fetch exactly one row as `$ty` (a tuple or a `FromRow` struct).
#[macro_export]
macro_rules! fetch_one {
    ($conn:expr, $ty:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($conn, |c| $crate::sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_one(c).await)
    };
}

/// Fetch zero or one row as `$ty`.
#[macro_export]
macro_rules! fetch_optional {
    ($conn:expr, $ty:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($conn, |c| $crate::sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_optional(c).await)
    };
}

/// Fetch all rows as `Vec<$ty>`.
#[macro_export]
macro_rules! fetch_all {
    ($conn:expr, $ty:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($conn, |c| $crate::sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_all(c).await)
    };
}

/// Fetch one single-column value as `$ty`.
#[macro_export]
macro_rules! fetch_scalar {
    ($conn:expr, $ty:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($conn, |c| $crate::sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_one(c).await)
    };
}
