//! The store's error: what a caller can act on (not found, a rule broken) versus a database fault.

use dbkit::{ConstraintKind, constraint_kind};
use mealframe_core::ids::{DayTemplateId, MealId, MealTypeId, SlotId};
use time::Date;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row the operation needs does not exist for this user.
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference rule was broken; the caller maps it to a 4xx.
    #[error("integrity rule broken: {0:?}")]
    Integrity(ConstraintKind),
    /// A planning operation refused by a rule (mapped to a 4xx by the caller).
    #[error("rejected: {0:?}")]
    Rejected(Rejection),
    #[error(transparent)]
    Db(sqlx::Error),
}

/// Why a planning operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NotMonday(Date),
    NoDefaultPlan,
    /// No generated week contains this date (the week's Monday).
    NoWeek(Date),
    NoDay(Date),
    NoTemplateForDay(Date),
    DayHasSlots(Date),
    SlotNotFound(SlotId),
    MealNotFound(MealId),
    MealTypeNotFound(MealTypeId),
    TemplateNotFound(DayTemplateId),
    PastDate,
    MealTypeMismatch,
    NotAdhoc,
}

impl From<Rejection> for StoreError {
    fn from(r: Rejection) -> Self {
        StoreError::Rejected(r)
    }
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
