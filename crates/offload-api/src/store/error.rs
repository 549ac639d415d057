//! The store's error: what a caller can act on (not found, a conflict with stored data) versus the
//! database failing or being out of reach. The same shape as `mealframe_store::StoreError`; the
//! HTTP answer for each is decided in one place, `crate::error` (`From<StoreError> for ApiError`).

use dbkit::{ConstraintKind, constraint_kind};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist. Produced explicitly by a store function, never
    /// from sqlx's `RowNotFound` (every lookup that may miss uses `fetch_optional`, so a missing
    /// row where one must be is a bug: [`StoreError::Db`]).
    #[error("not found")]
    NotFound,
    /// A uniqueness, reference or check rule of the schema was broken; nothing was written.
    #[error("integrity rule broken: {0:?}")]
    Conflict(ConstraintKind),
    /// No connection could be had or kept: pool timed out or closed, I/O, TLS, a crashed SQLite
    /// worker, or PostgreSQL refusing connections (SQLSTATE class 08, 53300, 57P01–57P03).
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// Any other database failure (a bug, or the engine refusing a statement).
    #[error("database error: {0}")]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(kind) = constraint_kind(&e) {
            return StoreError::Conflict(kind);
        }
        if unavailable(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Db(e)
        }
    }
}

fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: connection exceptions, too many connections, shutdown; SQLite: the
        // database busy or locked by another connection past the busy timeout.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    &*code,
                    "53300"
                        | "57P01"
                        | "57P02"
                        | "57P03"
                        | "5"
                        | "261"
                        | "517"
                        | "773"
                        | "6"
                        | "262"
                )
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_errors_are_classified() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            assert!(matches!(StoreError::from(e), StoreError::Unavailable(_)));
        }
        for e in [
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("unexpected message".into()),
        ] {
            assert!(matches!(StoreError::from(e), StoreError::Db(_)));
        }
    }
}
