//! `AppError`: what a use case answers instead of a value. Safe defaults come from the store's
//! error (a missing row is "not found", a broken uniqueness rule a conflict, a broken check a
//! refusal of the input, anything else a fault); a use case may pick a more precise variant.
//! Each front door turns it into its own shape in one place (`api`'s `ApiError`, `web`'s
//! `PageError`).

use std::borrow::Cow;

use dbkit::ConstraintKind;
use mealframe_store::{Rejection, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist for this user (the message names it).
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    /// A planning or library rule refused the request; [`refusal_message`] words it.
    #[error("refused: {0:?}")]
    Refused(Rejection),
    /// The request contradicts what is stored (a taken name, a row still in use).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// The input broke a rule the parsers cannot see (the message says which).
    #[error("{0}")]
    Invalid(Cow<'static, str>),
    /// Too many requests; try again after this many seconds.
    #[error("rate limit exceeded: {limit}")]
    RateLimited {
        limit: String,
        retry_after_secs: u64,
    },
    /// A feature this server is not set up for, or a service it needs that does not answer
    /// (the message says which); the request may work later or elsewhere.
    #[error("{0}")]
    Unavailable(Cow<'static, str>),
    /// A fault of ours (database, bug): logged, never shown.
    #[error("{0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("Not found".into()),
            StoreError::Rejected(r) => AppError::Refused(r),
            StoreError::Integrity(ConstraintKind::Unique) => {
                AppError::Conflict("That already exists".into())
            }
            StoreError::Integrity(ConstraintKind::ForeignKey) => {
                AppError::Conflict("It is still in use".into())
            }
            StoreError::Integrity(ConstraintKind::Check | ConstraintKind::NotNull) => {
                AppError::Invalid("A value is out of range".into())
            }
            StoreError::Db(e) => AppError::Internal(format!("database: {e}")),
        }
    }
}

/// The words for a refusal, the original's where it had them (both front doors use these).
pub fn refusal_message(r: &Rejection) -> String {
    match r {
        Rejection::NotMonday(d) => format!("week_start_date must be a Monday, got {d}"),
        Rejection::NoDefaultPlan => "No default week plan available".into(),
        Rejection::NoWeek(monday) => format!("No plan exists for week starting {monday}"),
        Rejection::NoDay(d) => format!("No day record for {d}"),
        Rejection::NoTemplateForDay(d) => format!("No template available for {d}"),
        Rejection::DayHasSlots(d) => {
            format!("Day {d} is not a No Plan day: it still has meals planned")
        }
        Rejection::SlotNotFound(id) => format!("Slot with id {id} not found"),
        Rejection::MealNotFound(id) => format!("Meal with id {id} not found"),
        Rejection::MealTypeNotFound(id) => format!("Meal type with id {id} not found"),
        Rejection::TemplateNotFound(id) => format!("Day template with id {id} not found"),
        Rejection::PastDate => "Cannot reassign slots from past dates".into(),
        Rejection::MealTypeMismatch => "Meal does not belong to the specified meal type".into(),
        Rejection::NotAdhoc => "Only ad-hoc slots can be deleted".into(),
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}
