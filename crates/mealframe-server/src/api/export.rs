//! `GET /api/v1/export`: everything the user has stored, as one JSON document (data portability).

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::wire::{self, Week};
use crate::{app, error::ApiResult, extract::CurrentUser, state::AppState};

/// All of the user's data.
#[utoipa::path(get, path = "/api/v1/export", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The user's account, library and generated weeks as JSON", content_type = "application/json")))]
pub async fn export(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    let all = app::export::everything(&state, user.id()).await?;
    let (types, all_meals, templates, plans) =
        (&all.meal_types, &all.meals, &all.templates, &all.plans);
    let weeks: Vec<Week> = all.weeks.iter().map(Week::from).collect();
    let body = json!({
        "exported_at": wire::instant(state.now()),
        "user": super::auth::me_body(&user.user),
        "meal_types": types.iter().map(|t| json!({
            "id": t.id.to_string(), "name": t.name, "description": t.description, "tags": t.tags,
            "created_at": wire::instant(t.created_at), "updated_at": wire::instant(t.updated_at),
        })).collect::<Vec<Value>>(),
        "meals": all_meals.iter().map(super::meals::response).collect::<Vec<_>>(),
        "day_templates": templates.iter().map(|t| json!({
            "id": t.id.to_string(), "name": t.name, "notes": t.notes, "max_calories_kcal": t.max_calories_kcal,
            "max_protein_g": wire::decimal(t.max_protein),
            "slots": t.slots.iter().map(|s| json!({"position": s.position, "meal_type": wire::Compact::from(&s.meal_type)})).collect::<Vec<_>>(),
        })).collect::<Vec<Value>>(),
        "week_plans": plans.iter().map(|p| json!({
            "id": p.id.to_string(), "name": p.name, "is_default": p.is_default,
            "days": p.days.iter().map(|d| json!({"weekday": d.weekday, "day_template": wire::Compact::from(&d.day_template)})).collect::<Vec<_>>(),
        })).collect::<Vec<Value>>(),
        "weeks": weeks,
    });
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"mealframe-export.json\"",
        )],
        Json(body),
    )
        .into_response())
}
