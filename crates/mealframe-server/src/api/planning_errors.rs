//! How planning refusals look on the wire of the daily-use and weekly routers: the nested
//! `{"detail": {"error": {"code", "message"}}}` shape with the original's messages.

use axum::http::StatusCode;
use mealframe_store::{Rejection, StoreError};

use crate::error::ApiError;

pub fn nested(e: StoreError) -> ApiError {
    match e {
        StoreError::Rejected(r) => rejection(r),
        other => other.into(),
    }
}

pub fn rejection(r: Rejection) -> ApiError {
    match r {
        Rejection::NotMonday(d) => {
            ApiError::coded_invalid(format!("week_start_date must be a Monday, got {d}"))
        }
        Rejection::NoDefaultPlan => ApiError::coded_invalid("No default week plan available"),
        Rejection::NoWeek(monday) => {
            ApiError::coded_not_found(format!("No plan exists for week starting {monday}"))
        }
        Rejection::NoDay(d) => ApiError::coded_invalid(format!("No day record for {d}")),
        Rejection::NoTemplateForDay(d) => {
            ApiError::coded_invalid(format!("No template available for {d}"))
        }
        Rejection::DayHasSlots(d) => ApiError::coded_conflict(format!(
            "Day {d} is not a No Plan day: it still has meals planned"
        )),
        Rejection::SlotNotFound(id) => {
            ApiError::coded_not_found(format!("Slot with id {id} not found"))
        }
        Rejection::MealNotFound(id) => {
            ApiError::coded_not_found(format!("Meal with id {id} not found"))
        }
        Rejection::MealTypeNotFound(id) => {
            ApiError::coded_not_found(format!("Meal type with id {id} not found"))
        }
        Rejection::TemplateNotFound(id) => {
            ApiError::coded_not_found(format!("Day template with id {id} not found"))
        }
        Rejection::PastDate => ApiError::coded_invalid("Cannot reassign slots from past dates"),
        Rejection::MealTypeMismatch => {
            ApiError::coded_invalid("Meal does not belong to the specified meal type")
        }
        Rejection::NotAdhoc => ApiError::Coded(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Only ad-hoc slots can be deleted".into(),
        ),
    }
}
