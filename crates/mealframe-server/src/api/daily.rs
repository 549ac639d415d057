//! Daily use (§1.3): today and yesterday, ad-hoc slots, completion, reassignment. "Today" is the
//! user's calendar day in their time zone.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mealframe_core::{
    ids::{MealId, MealTypeId, SlotId},
    planning::{calendar::weekday_name, completion::CompletionStatus},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, Duration};
use utoipa::ToSchema;

use super::{
    params,
    planning_errors::{nested, rejection},
    wire::{
        self, Compact, CompletionStatusName, DayLimits, DayMacros, MealCompact, Slot, SlotWithNext,
        WeekdayName,
    },
};
use crate::{
    app::{self, AppError, today::DayPlan},
    error::{ApiError, ApiResult},
    extract::{ApiJson, CurrentUser, FromBody, Issues},
    state::AppState,
};

/// `{completed, total, streak_days}`
#[derive(Serialize, ToSchema, Clone)]
pub struct TodayStats {
    pub completed: u32,
    pub total: u32,
    pub streak_days: u32,
}

/// One day as the Today screen shows it.
#[derive(Serialize, ToSchema, Clone)]
pub struct TodayResponse {
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = WeekdayName)]
    pub weekday: &'static str,
    pub template: Option<Compact>,
    pub is_override: bool,
    pub override_reason: Option<String>,
    pub slots: Vec<SlotWithNext>,
    pub stats: TodayStats,
    /// Addition: planned and eaten totals of the day.
    pub macros: DayMacros,
    /// Addition: the template's soft limits and whether they are exceeded.
    pub limits: DayLimits,
}

/// The Today view of `date` for this user.
async fn day_view(state: &AppState, user: &CurrentUser, date: Date) -> ApiResult<TodayResponse> {
    let plan = app::today::day(state, &user.user, date).await?;
    Ok(TodayResponse::from(&*plan))
}

impl From<&DayPlan> for TodayResponse {
    fn from(p: &DayPlan) -> Self {
        let day = &p.day;
        let (macros, limits) = wire::day_macros(day, &p.totals);
        TodayResponse {
            date: wire::date(day.date),
            weekday: weekday_name(day.date),
            template: day.template.as_ref().map(Compact::from),
            is_override: day.is_override,
            override_reason: day.override_reason.clone(),
            slots: day
                .slots
                .iter()
                .enumerate()
                .map(|(i, s)| SlotWithNext {
                    slot: Slot::from(s),
                    is_next: Some(i) == p.next,
                })
                .collect(),
            stats: TodayStats {
                completed: p.completed(),
                total: p.total(),
                streak_days: p.streak_days,
            },
            macros,
            limits,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/today", tag = "Daily Use", security(("bearer" = [])),
    responses((status = 200, body = TodayResponse), (status = 401)))]
pub async fn today(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<TodayResponse>> {
    let date = user.today(state.now());
    Ok(Json(day_view(&state, &user, date).await?))
}

#[utoipa::path(get, path = "/api/v1/yesterday", tag = "Daily Use", security(("bearer" = [])),
    responses((status = 200, body = TodayResponse), (status = 401)))]
pub async fn yesterday(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<TodayResponse>> {
    let date = user.today(state.now()) - Duration::days(1);
    Ok(Json(day_view(&state, &user, date).await?))
}

/// `{meal_id, date?}` — `date` (an addition) logs on another day of a generated week.
#[derive(Deserialize, ToSchema)]
pub struct AdhocBody {
    #[schema(value_type = uuid::Uuid)]
    pub meal_id: Value,
    #[serde(default)]
    #[schema(value_type = Option<time::Date>)]
    pub date: Option<Value>,
}

pub struct AdhocRequest {
    meal: MealId,
    date: Option<Date>,
}

impl FromBody for AdhocRequest {
    type Raw = AdhocBody;
    fn parse(raw: AdhocBody, v: &mut Issues) -> Option<Self> {
        let meal = v.uuid("meal_id", &raw.meal_id);
        let date = match &raw.date {
            Some(d) => Some(v.date("date", d)?),
            None => None,
        };
        Some(AdhocRequest { meal: meal?, date })
    }
}

async fn slot_response(state: &AppState, user: &CurrentUser, id: SlotId) -> ApiResult<Slot> {
    let s = app::week::slot(state, user.id(), id)
        .await?
        .ok_or_else(|| rejection(mealframe_store::Rejection::SlotNotFound(id)))?;
    Ok(Slot::from(&s))
}

/// Add a meal of the library to today (201).
#[utoipa::path(post, path = "/api/v1/today/slots", tag = "Daily Use", security(("bearer" = [])), request_body = AdhocBody,
    responses((status = 201, body = SlotWithNext), (status = 404, description = "No weekly plan exists for today, or meal not found")))]
pub async fn add_adhoc(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<AdhocRequest>,
) -> ApiResult<Response> {
    let now = state.now();
    let date = body.date.unwrap_or_else(|| user.today(now));
    let id = app::planning::add_adhoc(&state, &user.write(), date, body.meal)
        .await
        .map_err(|e| match e {
            AppError::Refused(_) => {
                ApiError::coded_not_found("No weekly plan exists for today, or meal not found")
            }
            other => other.into(),
        })?;
    let mut slot = slot_response(&state, &user, id).await?;
    slot.actual_meal = None;
    Ok((
        StatusCode::CREATED,
        Json(SlotWithNext {
            slot,
            is_next: false,
        }),
    )
        .into_response())
}

/// `{status, actual_meal_id?}`
#[derive(Deserialize, ToSchema)]
pub struct CompleteBody {
    #[schema(value_type = CompletionStatusName)]
    pub status: Value,
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub actual_meal_id: Option<Value>,
}

pub struct CompleteRequest {
    pub status: CompletionStatus,
    pub actual: Option<MealId>,
}

impl FromBody for CompleteRequest {
    type Raw = CompleteBody;
    fn parse(raw: CompleteBody, v: &mut Issues) -> Option<Self> {
        let status = v.one_of("status", &raw.status, &CompletionStatus::NAMES);
        let actual = match raw.actual_meal_id.as_ref().filter(|a| !a.is_null()) {
            Some(a) => Some(v.uuid("actual_meal_id", a)?),
            None => None,
        };
        Some(CompleteRequest {
            status: status?,
            actual,
        })
    }
}

/// `{id, completion_status, completed_at, actual_meal}`
#[derive(Serialize, ToSchema)]
pub struct CompletionResponse {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(value_type = Option<CompletionStatusName>)]
    pub completion_status: Option<&'static str>,
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    pub actual_meal: Option<MealCompact>,
}

fn completion(slot: Slot) -> CompletionResponse {
    CompletionResponse {
        id: slot.id,
        completion_status: slot.completion_status,
        completed_at: slot.completed_at,
        actual_meal: slot.actual_meal,
    }
}

/// Mark a slot with one of the five statuses (any date), optionally linking what was eaten.
#[utoipa::path(post, path = "/api/v1/slots/{slot_id}/complete", tag = "Daily Use", security(("bearer" = [])),
    params(("slot_id" = uuid::Uuid, Path)), request_body = CompleteBody,
    responses((status = 200, body = CompletionResponse), (status = 404), (status = 422)))]
pub async fn complete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slot_id): Path<String>,
    ApiJson(body): ApiJson<CompleteRequest>,
) -> ApiResult<Json<CompletionResponse>> {
    let slot: SlotId = params::id("slot_id", &slot_id)?;
    app::planning::mark_slot(&state, &user.write(), slot, body.status, body.actual)
        .await
        .map_err(nested)?;
    Ok(Json(completion(slot_response(&state, &user, slot).await?)))
}

/// Clear a slot's status and actual meal.
#[utoipa::path(delete, path = "/api/v1/slots/{slot_id}/complete", tag = "Daily Use", security(("bearer" = [])),
    params(("slot_id" = uuid::Uuid, Path)), responses((status = 200, body = CompletionResponse), (status = 404)))]
pub async fn uncomplete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slot_id): Path<String>,
) -> ApiResult<Json<CompletionResponse>> {
    let slot: SlotId = params::id("slot_id", &slot_id)?;
    app::planning::unmark_slot(&state, &user.write(), slot)
        .await
        .map_err(nested)?;
    Ok(Json(completion(slot_response(&state, &user, slot).await?)))
}

/// Remove an ad-hoc slot (204); template slots answer 403.
#[utoipa::path(delete, path = "/api/v1/slots/{slot_id}", tag = "Daily Use", security(("bearer" = [])),
    params(("slot_id" = uuid::Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_slot(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slot_id): Path<String>,
) -> ApiResult<StatusCode> {
    let slot: SlotId = params::id("slot_id", &slot_id)?;
    app::planning::delete_adhoc(&state, &user.write(), slot)
        .await
        .map_err(nested)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{meal_id, meal_type_id?}`
#[derive(Deserialize, ToSchema)]
pub struct ReassignBody {
    #[schema(value_type = uuid::Uuid)]
    pub meal_id: Value,
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub meal_type_id: Option<Value>,
}

pub struct ReassignRequest {
    pub meal: MealId,
    pub meal_type: Option<MealTypeId>,
}

impl FromBody for ReassignRequest {
    type Raw = ReassignBody;
    fn parse(raw: ReassignBody, v: &mut Issues) -> Option<Self> {
        let meal = v.uuid("meal_id", &raw.meal_id);
        let meal_type = match raw.meal_type_id.as_ref().filter(|t| !t.is_null()) {
            Some(t) => Some(v.uuid("meal_type_id", t)?),
            None => None,
        };
        Some(ReassignRequest {
            meal: meal?,
            meal_type,
        })
    }
}

/// Put another meal on a slot (today or later), optionally changing its meal type.
#[utoipa::path(put, path = "/api/v1/slots/{slot_id}/reassign", tag = "Daily Use", security(("bearer" = [])),
    params(("slot_id" = uuid::Uuid, Path)), request_body = ReassignBody,
    responses((status = 200, body = SlotWithNext), (status = 400), (status = 404)))]
pub async fn reassign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slot_id): Path<String>,
    ApiJson(body): ApiJson<ReassignRequest>,
) -> ApiResult<Json<SlotWithNext>> {
    let slot: SlotId = params::id("slot_id", &slot_id)?;
    app::planning::reassign(
        &state,
        &user.user,
        &user.write(),
        slot,
        body.meal,
        body.meal_type,
    )
    .await
    .map_err(nested)?;
    let mut s = slot_response(&state, &user, slot).await?;
    s.actual_meal = None;
    Ok(Json(SlotWithNext {
        slot: s,
        is_next: false,
    }))
}
