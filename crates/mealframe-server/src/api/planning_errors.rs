//! How planning refusals look on the wire of the daily-use and weekly routers: the nested
//! `{"detail": {"error": {"code", "message"}}}` shape with the original's messages.

use axum::http::StatusCode;
use mealframe_store::Rejection;

use crate::{
    app::{AppError, error::refusal_message},
    error::ApiError,
};

/// A use case's error, with refusals in the nested shape.
pub fn nested(e: AppError) -> ApiError {
    match e {
        AppError::Refused(r) => rejection(r),
        other => other.into(),
    }
}

/// The status and code of each refusal; the words are the use cases' (`refusal_message`).
pub fn rejection(r: Rejection) -> ApiError {
    let message = refusal_message(&r);
    match r {
        Rejection::NoWeek(_)
        | Rejection::SlotNotFound(_)
        | Rejection::MealNotFound(_)
        | Rejection::MealTypeNotFound(_)
        | Rejection::TemplateNotFound(_) => ApiError::coded_not_found(message),
        Rejection::DayHasSlots(_) => ApiError::coded_conflict(message),
        Rejection::NotAdhoc => ApiError::Coded(StatusCode::FORBIDDEN, "FORBIDDEN", message),
        Rejection::NotMonday(_)
        | Rejection::NoDefaultPlan
        | Rejection::NoDay(_)
        | Rejection::NoTemplateForDay(_)
        | Rejection::PastDate
        | Rejection::MealTypeMismatch => ApiError::coded_invalid(message),
    }
}
