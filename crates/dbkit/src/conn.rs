//! Connections and transactions that hide which engine is underneath.

use sqlx::{PgConnection, Postgres, SqliteConnection, Transaction, pool::PoolConnection};

use crate::{readers::ReadConn, writer::Held};

/// A borrowed connection of either engine; repository functions take `&mut Conn<'_>`.
pub enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// A shorter-lived reborrow, handy when passing the connection to several functions.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls it back.
pub enum Tx {
    /// SQLite's writer inside `BEGIN IMMEDIATE`.
    Sqlite(Held),
    Postgres(Transaction<'static, Postgres>),
    /// SQLite's writer without `BEGIN`: for a mutation that is exactly one statement, which
    /// SQLite runs atomically (with its triggers) as its own transaction. See
    /// [`Db::begin_single`](crate::Db::begin_single); there is nothing to commit or roll back.
    SqliteSingle(Held),
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(h) | Tx::SqliteSingle(h) => Conn::Sqlite(h.conn()),
            Tx::Postgres(t) => Conn::Postgres(t),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
            Tx::SqliteSingle(_) => Ok(()),
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
            Tx::SqliteSingle(_) => Ok(()),
        }
    }
}

/// A pooled connection for reads (no transaction unless the caller starts one).
pub enum Reader {
    Sqlite(ReadConn),
    Postgres(PoolConnection<Postgres>),
}

impl Reader {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Reader::Sqlite(c) => Conn::Sqlite(c.conn()),
            Reader::Postgres(c) => Conn::Postgres(c),
        }
    }
}
