//! Stats (§1.9): `GET /stats?days=N`, computed from three bulk reads whatever N is.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use mealframe_core::planning::stats::Stats;
use serde::Serialize;
use utoipa::ToSchema;

use super::wire::{self, Totals};
use crate::{
    app,
    error::ApiResult,
    extract::{CurrentUser, Issues, QueryParams},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct ByStatus {
    pub followed: u32,
    pub equivalent: u32,
    pub skipped: u32,
    pub deviated: u32,
    pub social: u32,
    pub unmarked: u32,
}

#[derive(Serialize, ToSchema)]
pub struct MealTypeAdherence {
    #[schema(format = Uuid)]
    pub meal_type_id: String,
    pub name: String,
    pub total: u32,
    pub followed: u32,
    pub adherence_rate: String,
}

#[derive(Serialize, ToSchema)]
pub struct DailyAdherence {
    #[schema(format = Date)]
    pub date: String,
    pub total: u32,
    pub followed: u32,
    pub adherence_rate: String,
}

#[derive(Serialize, ToSchema)]
pub struct OverLimit {
    pub template_name: String,
    pub days_over: u32,
    pub total_days: u32,
    /// `calories` | `protein` | `both`
    pub exceeded_metric: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct DailyMacros {
    #[schema(format = Date)]
    pub date: String,
    pub planned: Totals,
    pub eaten: Totals,
}

#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    pub period_days: u32,
    pub total_slots: u32,
    pub completed_slots: u32,
    pub by_status: ByStatus,
    pub adherence_rate: String,
    pub current_streak: u32,
    pub best_streak: u32,
    pub override_days: u32,
    pub by_meal_type: Vec<MealTypeAdherence>,
    pub daily_adherence: Vec<DailyAdherence>,
    pub avg_daily_calories: Option<String>,
    pub avg_daily_protein: Option<String>,
    pub over_limit_days: u32,
    pub days_with_limits: u32,
    pub over_limit_breakdown: Vec<OverLimit>,
    /// Addition: averages of what was eaten (followed → planned meal; equivalent/deviated →
    /// the linked actual meal; skipped/social → nothing).
    pub avg_daily_eaten_calories: Option<String>,
    pub avg_daily_eaten_protein: Option<String>,
    /// Addition: days over a soft limit by what was eaten.
    pub eaten_over_limit_days: u32,
    /// Addition: planned and eaten totals per day with slots.
    pub daily_macros: Vec<DailyMacros>,
}

impl From<Stats> for StatsResponse {
    fn from(s: Stats) -> Self {
        let c = s.counts;
        StatsResponse {
            period_days: s.period_days,
            total_slots: c.total(),
            completed_slots: c.marked(),
            by_status: ByStatus {
                followed: c.followed,
                equivalent: c.equivalent,
                skipped: c.skipped,
                deviated: c.deviated,
                social: c.social,
                unmarked: c.unmarked,
            },
            adherence_rate: s.adherence_rate,
            current_streak: s.current_streak,
            best_streak: s.best_streak,
            override_days: s.override_days,
            by_meal_type: s
                .by_meal_type
                .into_iter()
                .map(|m| MealTypeAdherence {
                    meal_type_id: m.meal_type_id.to_string(),
                    name: m.name,
                    total: m.total,
                    followed: m.followed,
                    adherence_rate: m.adherence_rate,
                })
                .collect(),
            daily_adherence: s
                .daily_adherence
                .into_iter()
                .map(|d| DailyAdherence {
                    date: wire::date(d.date),
                    total: d.total,
                    followed: d.followed,
                    adherence_rate: d.adherence_rate,
                })
                .collect(),
            avg_daily_calories: s.avg_daily_calories,
            avg_daily_protein: s.avg_daily_protein,
            over_limit_days: s.over_limit_days,
            days_with_limits: s.days_with_limits,
            over_limit_breakdown: s
                .over_limit_breakdown
                .into_iter()
                .map(|o| OverLimit {
                    template_name: o.template_name,
                    days_over: o.days_over,
                    total_days: o.total_days,
                    exceeded_metric: o.exceeded_metric,
                })
                .collect(),
            avg_daily_eaten_calories: s.avg_daily_eaten_calories,
            avg_daily_eaten_protein: s.avg_daily_eaten_protein,
            eaten_over_limit_days: s.eaten_over_limit_days,
            daily_macros: s
                .daily_macros
                .into_iter()
                .map(|d| DailyMacros {
                    date: wire::date(d.date),
                    planned: Totals::from(&d.planned),
                    eaten: Totals::from(&d.eaten),
                })
                .collect(),
        }
    }
}

/// Adherence, streaks, status mix, per-type and per-day adherence, macro averages, soft limits.
#[utoipa::path(get, path = "/api/v1/stats", tag = "Stats", security(("bearer" = [])),
    params(("days" = Option<u32>, Query, minimum = 1, maximum = 365, description = "Default 30")),
    responses((status = 200, body = StatsResponse), (status = 422)))]
pub async fn stats(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
) -> ApiResult<Response> {
    let mut v = Issues::query();
    let days = q
        .get("days")
        .map_or(Some(30), |d| v.int_str("days", d, Some(1), Some(365)));
    let days = v.finish(days)? as u32;
    // A year of stats is ~140 KB of JSON: the use case caches the encoded body.
    let body = app::stats::stats_encoded(&state, &user.user, days, |numbers| {
        serde_json::to_vec(&StatsResponse::from(numbers)).map_err(|e| e.to_string())
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
