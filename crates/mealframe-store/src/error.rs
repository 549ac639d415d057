//! The store's error: what a caller can act on (not found, a rule broken) versus a database fault.

use dbkit::{ConstraintKind, constraint_kind};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist for this user.
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule was broken; the caller maps it to a 4xx.
    #[error("integrity rule broken: {0:?}")]
    Integrity(ConstraintKind),
    #[error(transparent)]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match constraint_kind(&e) {
            Some(kind) => StoreError::Integrity(kind),
            None => StoreError::Db(e),
        }
    }
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Integrity(ConstraintKind::Unique))
    }
}
