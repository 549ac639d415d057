//! Weekly planning (§1.4): the week view, generation and smart regeneration, and day-level
//! changes — which work on any day of any generated week (difference 9; the paths keep their
//! `current` segment).

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{
    ids::DayTemplateId,
    planning::calendar::{monday_of, next_monday},
};
use mealframe_store::{Rejection, plans::ops::Generated};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use utoipa::ToSchema;

use super::{
    params,
    planning_errors::nested,
    wire::{Day, Week},
};
use crate::{
    app::{self, AppError},
    error::{ApiError, ApiResult},
    extract::{ApiJson, CurrentUser, FromBody, Issues, QueryParams},
    state::AppState,
};

/// The week containing `week_start_date` (any date; default: this week).
#[utoipa::path(get, path = "/api/v1/weekly-plans/current", tag = "Weekly Planning", security(("bearer" = [])),
    params(("week_start_date" = Option<time::Date>, Query, description = "Any date of the week (YYYY-MM-DD, 1900-01-01 to 9000-12-31)")),
    responses((status = 200, body = Week), (status = 404, description = "No plan exists for that week"), (status = 422)))]
pub async fn current(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
) -> ApiResult<Response> {
    let (monday, missing) = match q.get("week_start_date") {
        Some(raw) => {
            let mut v = Issues::query();
            let d = v.date_str("week_start_date", raw);
            let d = v.finish(d)?;
            (
                monday_of(d),
                format!("No plan exists for week starting {raw}"),
            )
        }
        None => (
            monday_of(user.today(state.now())),
            "No plan exists for the current week".to_owned(),
        ),
    };
    // A week is ~20 KB of JSON read far more often than it changes: the use case keeps the body.
    let body = app::week::week_encoded(&state, &user.user, monday, |w| {
        serde_json::to_vec(&Week::from(w)).map_err(|e| e.to_string())
    })
    .await?
    .ok_or_else(|| ApiError::coded_not_found(missing))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `{week_start_date?}` — a Monday, or null for the next Monday after today.
#[derive(Deserialize, ToSchema)]
pub struct GenerateBody {
    #[serde(default)]
    #[schema(value_type = Option<time::Date>)]
    pub week_start_date: Option<Value>,
}

pub struct GenerateRequest(Option<Date>);

impl FromBody for GenerateRequest {
    type Raw = GenerateBody;
    fn parse(raw: GenerateBody, v: &mut Issues) -> Option<Self> {
        match raw.week_start_date.as_ref().filter(|d| !d.is_null()) {
            Some(d) => Some(GenerateRequest(Some(v.date("week_start_date", d)?))),
            None => Some(GenerateRequest(None)),
        }
    }
}

async fn load_week(state: &AppState, user: &CurrentUser, monday: Date) -> ApiResult<Week> {
    let week = app::week::week_after_write(state, user.id(), monday)
        .await?
        .ok_or_else(|| ApiError::internal("generated week vanished"))?;
    Ok(Week::from(&week))
}

/// Generate a week (201) or smart-regenerate it if it exists (200): only unmarked slots that were
/// not picked by hand, from today on, get new meals.
#[utoipa::path(post, path = "/api/v1/weekly-plans/generate", tag = "Weekly Planning", security(("bearer" = [])), request_body = GenerateBody,
    responses((status = 201, body = Week, description = "Generated"), (status = 200, body = Week, description = "Regenerated"),
              (status = 400, description = "Not a Monday, or no default week plan")))]
pub async fn generate(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<GenerateRequest>,
) -> ApiResult<Response> {
    let monday = body
        .0
        .unwrap_or_else(|| next_monday(user.today(state.now())));
    let outcome = app::planning::generate_week(&state, &user.user, &user.write(), monday)
        .await
        .map_err(nested)?;
    let status = match outcome {
        Generated::Created(_) => StatusCode::CREATED,
        Generated::Regenerated(_) => StatusCode::OK,
    };
    Ok((status, Json(load_week(&state, &user, monday).await?)).into_response())
}

/// The "no week" message of the day routes: the original's text for the current week.
fn day_error(user: &CurrentUser, state: &AppState, e: AppError) -> ApiError {
    match e {
        AppError::Refused(Rejection::NoWeek(monday))
            if monday == monday_of(user.today(state.now())) =>
        {
            ApiError::coded_not_found("No plan exists for the current week")
        }
        other => nested(other),
    }
}

async fn day_response(state: &AppState, user: &CurrentUser, date: Date) -> ApiResult<Day> {
    let day = app::week::day(state, user.id(), date)
        .await?
        .ok_or_else(|| ApiError::internal("day vanished"))?;
    Ok(Day::from(&day))
}

/// `{day_template_id}`
#[derive(Deserialize, ToSchema)]
pub struct SwitchTemplateBody {
    #[schema(value_type = uuid::Uuid)]
    pub day_template_id: Value,
}

pub struct SwitchTemplate(DayTemplateId);

impl FromBody for SwitchTemplate {
    type Raw = SwitchTemplateBody;
    fn parse(raw: SwitchTemplateBody, v: &mut Issues) -> Option<Self> {
        v.uuid("day_template_id", &raw.day_template_id)
            .map(SwitchTemplate)
    }
}

/// Rebuild a day from another template (its slots and marks are replaced; any override cleared).
#[utoipa::path(put, path = "/api/v1/weekly-plans/current/days/{target_date}/template", tag = "Weekly Planning", security(("bearer" = [])),
    params(("target_date" = time::Date, Path, description = "YYYY-MM-DD, 1900-01-01 to 9000-12-31")), request_body = SwitchTemplateBody,
    responses((status = 200, body = Day), (status = 404, description = "No generated week, or unknown template")))]
pub async fn switch_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(target): Path<String>,
    ApiJson(body): ApiJson<SwitchTemplate>,
) -> ApiResult<Json<Day>> {
    let date = params::date("target_date", &target)?;
    app::planning::switch_day_template(&state, &user.write(), date, body.0)
        .await
        .map_err(|e| day_error(&user, &state, e))?;
    Ok(Json(day_response(&state, &user, date).await?))
}

/// `{reason?}` (at most 255 characters)
#[derive(Deserialize, ToSchema)]
pub struct OverrideBody {
    #[serde(default)]
    #[schema(max_length = 255)]
    pub reason: Option<String>,
}

impl FromBody for OverrideBody {
    type Raw = OverrideBody;
    fn parse(raw: OverrideBody, v: &mut Issues) -> Option<Self> {
        if let Some(r) = &raw.reason {
            v.text("reason", r, 0, Some(255))?;
        }
        Some(raw)
    }
}

/// `{date, is_override, override_reason}`
#[derive(Serialize, ToSchema)]
pub struct OverrideResponse {
    #[schema(format = Date)]
    pub date: String,
    pub is_override: bool,
    pub override_reason: Option<String>,
}

/// Mark a day "No Plan" (its slots are removed; the day pauses streaks).
#[utoipa::path(put, path = "/api/v1/weekly-plans/current/days/{target_date}/override", tag = "Weekly Planning", security(("bearer" = [])),
    params(("target_date" = time::Date, Path, description = "YYYY-MM-DD, 1900-01-01 to 9000-12-31")), request_body = OverrideBody,
    responses((status = 200, body = OverrideResponse), (status = 404, description = "No generated week"), (status = 422)))]
pub async fn set_override(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(target): Path<String>,
    ApiJson(body): ApiJson<OverrideBody>,
) -> ApiResult<Json<OverrideResponse>> {
    let date = params::date("target_date", &target)?;
    app::planning::set_no_plan(&state, &user.write(), date, body.reason.as_deref())
        .await
        .map_err(|e| day_error(&user, &state, e))?;
    Ok(Json(OverrideResponse {
        date: date.to_string(),
        is_override: true,
        override_reason: body.reason,
    }))
}

/// Restore a "No Plan" day from its template with fresh meals.
#[utoipa::path(delete, path = "/api/v1/weekly-plans/current/days/{target_date}/override", tag = "Weekly Planning", security(("bearer" = [])),
    params(("target_date" = time::Date, Path, description = "YYYY-MM-DD, 1900-01-01 to 9000-12-31")),
    responses((status = 200, body = Day), (status = 400, description = "No day record or no template"),
              (status = 404, description = "No generated week"), (status = 409, description = "The day still has slots")))]
pub async fn clear_override(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(target): Path<String>,
) -> ApiResult<Json<Day>> {
    let date = params::date("target_date", &target)?;
    app::planning::restore_day(&state, &user.write(), date)
        .await
        .map_err(|e| day_error(&user, &state, e))?;
    Ok(Json(day_response(&state, &user, date).await?))
}
