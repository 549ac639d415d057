//! Week plans (§1.8): weekday → template; the first plan is the default; setting a default clears
//! the others. Duplicate weekdays are a 422 and unknown templates a 404 (the original's 500s).

use std::collections::HashSet;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mealframe_core::{
    ids::{DayTemplateId, WeekPlanId},
    planning::calendar::weekday_index_name,
};
use mealframe_store::library::week_plans::WeekPlan;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{params, wire};
use crate::{
    app,
    error::ApiResult,
    extract::{ApiJson, CurrentUser, FromBody, Issues, Patch},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct WeekPlanListItem {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub day_count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct WeekPlanDayResponse {
    #[schema(format = Uuid)]
    pub id: String,
    /// 0 = Monday … 6 = Sunday.
    #[schema(maximum = 6)]
    pub weekday: u8,
    #[schema(value_type = wire::WeekdayName)]
    pub weekday_name: &'static str,
    pub day_template: wire::Compact,
}

#[derive(Serialize, ToSchema)]
pub struct WeekPlanResponse {
    pub name: String,
    pub is_default: bool,
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub days: Vec<WeekPlanDayResponse>,
}

fn response(p: &WeekPlan) -> WeekPlanResponse {
    WeekPlanResponse {
        name: p.name.clone(),
        is_default: p.is_default,
        id: p.id.to_string(),
        created_at: wire::instant(p.created_at),
        updated_at: wire::instant(p.updated_at),
        days: p
            .days
            .iter()
            .map(|d| WeekPlanDayResponse {
                id: d.id.to_string(),
                weekday: d.weekday,
                weekday_name: weekday_index_name(d.weekday),
                day_template: wire::Compact::from(&d.day_template),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/week-plans", tag = "Week Plans", security(("bearer" = [])),
    responses((status = 200, body = Vec<WeekPlanListItem>)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<WeekPlanListItem>>> {
    let all = app::library::plans(&state, user.id()).await?;
    Ok(Json(
        all.iter()
            .map(|p| WeekPlanListItem {
                id: p.id.to_string(),
                name: p.name.clone(),
                is_default: p.is_default,
                day_count: p.days.len(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/week-plans/{plan_id}", tag = "Week Plans", security(("bearer" = [])),
    params(("plan_id" = uuid::Uuid, Path)), responses((status = 200, body = WeekPlanResponse), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<WeekPlanResponse>> {
    let id: WeekPlanId = params::id("plan_id", &id)?;
    let p = app::library::plan(&state, user.id(), id).await?;
    Ok(Json(response(&p)))
}

/// `{weekday: 0..6, day_template_id}`
#[derive(Deserialize, ToSchema, Clone)]
pub struct PlanDayBody {
    /// 0 = Monday … 6 = Sunday.
    #[schema(value_type = u8, maximum = 6)]
    pub weekday: Value,
    #[schema(value_type = uuid::Uuid)]
    pub day_template_id: Value,
}

fn parse_days(days: &[PlanDayBody], v: &mut Issues) -> Option<Vec<(u8, DayTemplateId)>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut ok = true;
    for (i, d) in days.iter().enumerate() {
        let weekday = match &d.weekday {
            Value::Number(n) if n.as_u64().is_some_and(|w| w <= 6) => n.as_u64().map(|w| w as u8),
            other => {
                v.push(
                    "enum",
                    ("days", i, "weekday"),
                    "Input should be 0, 1, 2, 3, 4, 5 or 6",
                    other.clone(),
                    Some(json!({"expected": "0, 1, 2, 3, 4, 5 or 6"})),
                );
                None
            }
        };
        let template: Option<DayTemplateId> =
            v.uuid(("days", i, "day_template_id"), &d.day_template_id);
        match (weekday, template) {
            (Some(w), Some(t)) => {
                if !seen.insert(w) {
                    v.push(
                        "value_error",
                        ("days", i, "weekday"),
                        format!("Value error, weekday {w} is mapped twice"),
                        json!(w),
                        None,
                    );
                    ok = false;
                }
                out.push((w, t));
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// A new plan.
#[derive(Deserialize, ToSchema)]
pub struct WeekPlanBody {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub days: Vec<PlanDayBody>,
}

pub struct NewPlan {
    name: String,
    is_default: bool,
    days: Vec<(u8, DayTemplateId)>,
}

impl FromBody for NewPlan {
    type Raw = WeekPlanBody;
    fn parse(raw: WeekPlanBody, v: &mut Issues) -> Option<Self> {
        let name = v.text("name", &raw.name, 1, Some(255));
        let days = parse_days(&raw.days, v);
        Some(NewPlan {
            name: name?,
            is_default: raw.is_default,
            days: days?,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/week-plans", tag = "Week Plans", security(("bearer" = [])), request_body = WeekPlanBody,
    responses((status = 201, body = WeekPlanResponse), (status = 404, description = "Unknown template"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewPlan>,
) -> ApiResult<Response> {
    let p = app::library::create_plan(
        &state,
        &user.write(),
        &body.name,
        body.is_default,
        &body.days,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(response(&p))).into_response())
}

/// Every field optional: `is_default: true` makes it the default, `false` unsets it; `days`
/// replaces the mapping.
#[derive(Deserialize, ToSchema)]
pub struct WeekPlanUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub is_default: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<PlanDayBody>>)]
    pub days: Patch<Vec<PlanDayBody>>,
}

pub struct PlanChange {
    name: Option<String>,
    is_default: Option<bool>,
    days: Option<Vec<(u8, DayTemplateId)>>,
}

impl FromBody for PlanChange {
    type Raw = WeekPlanUpdate;
    fn parse(raw: WeekPlanUpdate, v: &mut Issues) -> Option<Self> {
        let name = match &raw.name {
            Patch::Value(n) => Some(v.text("name", n, 1, Some(255))?),
            _ => None,
        };
        let days = match &raw.days {
            Patch::Value(d) => Some(parse_days(d, v)?),
            _ => None,
        };
        Some(PlanChange {
            name,
            is_default: raw.is_default.as_value().copied(),
            days,
        })
    }
}

#[utoipa::path(put, path = "/api/v1/week-plans/{plan_id}", tag = "Week Plans", security(("bearer" = [])),
    params(("plan_id" = uuid::Uuid, Path)), request_body = WeekPlanUpdate, responses((status = 200, body = WeekPlanResponse), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PlanChange>,
) -> ApiResult<Json<WeekPlanResponse>> {
    let id: WeekPlanId = params::id("plan_id", &id)?;
    let p = app::library::update_plan(
        &state,
        &user.write(),
        id,
        body.name.as_deref(),
        body.is_default,
        body.days.as_deref(),
    )
    .await?;
    Ok(Json(response(&p)))
}

#[utoipa::path(delete, path = "/api/v1/week-plans/{plan_id}", tag = "Week Plans", security(("bearer" = [])),
    params(("plan_id" = uuid::Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: WeekPlanId = params::id("plan_id", &id)?;
    app::library::delete_plan(&state, &user.write(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/week-plans/{plan_id}/set-default", tag = "Week Plans", security(("bearer" = [])),
    params(("plan_id" = uuid::Uuid, Path)), responses((status = 200, body = WeekPlanResponse), (status = 404)))]
pub async fn set_default(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<WeekPlanResponse>> {
    let id: WeekPlanId = params::id("plan_id", &id)?;
    let p = app::library::set_default_plan(&state, &user.write(), id).await?;
    Ok(Json(response(&p)))
}
