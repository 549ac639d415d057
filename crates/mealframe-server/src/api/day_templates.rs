//! Day templates (§1.5): ordered meal-type slots and optional soft limits. Slots are replaced as
//! a whole on update; positions start at 1 and are unique within a template (422 otherwise, not
//! the original's 500); slot meal types must be the user's (404 otherwise).

use std::collections::HashSet;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mealframe_core::{
    ids::{DayTemplateId, MealTypeId},
    planning::generation::TemplateSlot,
    tenths::Tenths,
};
use mealframe_store::library::day_templates::{DayTemplate, NewTemplate, TemplateChange};
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
pub struct TemplateListItem {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub notes: Option<String>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein_g: Option<String>,
    pub slot_count: usize,
    /// Meal-type names in slot order joined by " → ".
    pub slot_preview: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateSlotResponse {
    #[schema(format = Uuid)]
    pub id: String,
    pub position: i32,
    pub meal_type: wire::Compact,
    /// Time of day `"HH:MM"` (24-hour, the user's time zone), or null. Added by MealFrame.
    #[schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "07:30")]
    pub time: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateResponse {
    pub name: String,
    pub notes: Option<String>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein_g: Option<String>,
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub slots: Vec<TemplateSlotResponse>,
}

fn response(t: &DayTemplate) -> TemplateResponse {
    TemplateResponse {
        name: t.name.clone(),
        notes: t.notes.clone(),
        max_calories_kcal: t.max_calories_kcal,
        max_protein_g: wire::decimal(t.max_protein),
        id: t.id.to_string(),
        created_at: wire::instant(t.created_at),
        updated_at: wire::instant(t.updated_at),
        slots: t
            .slots
            .iter()
            .map(|s| TemplateSlotResponse {
                id: s.id.to_string(),
                position: s.position,
                meal_type: wire::Compact::from(&s.meal_type),
                time: s.time.map(|t| t.to_string()),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/day-templates", tag = "Day Templates", security(("bearer" = [])),
    responses((status = 200, body = Vec<TemplateListItem>)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<TemplateListItem>>> {
    let all = app::library::templates(&state, user.id()).await?;
    Ok(Json(
        all.iter()
            .map(|t| TemplateListItem {
                id: t.id.to_string(),
                name: t.name.clone(),
                notes: t.notes.clone(),
                max_calories_kcal: t.max_calories_kcal,
                max_protein_g: wire::decimal(t.max_protein),
                slot_count: t.slots.len(),
                slot_preview: t.preview(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/day-templates/{template_id}", tag = "Day Templates", security(("bearer" = [])),
    params(("template_id" = uuid::Uuid, Path)), responses((status = 200, body = TemplateResponse), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TemplateResponse>> {
    let id: DayTemplateId = params::id("template_id", &id)?;
    let t = app::library::template(&state, user.id(), id).await?;
    Ok(Json(response(&t)))
}

/// `{position, meal_type_id, time?}`
#[derive(Deserialize, ToSchema, Clone)]
pub struct SlotBody {
    #[schema(value_type = i32, minimum = 1)]
    pub position: Value,
    #[schema(value_type = uuid::Uuid)]
    pub meal_type_id: Value,
    /// Optional time of day `"HH:MM"` (24-hour, in the user's time zone); absent or null = no
    /// time. Added by MealFrame; clients that omit it are unaffected.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "07:30")]
    pub time: Option<Value>,
}

fn parse_slots(slots: &[SlotBody], v: &mut Issues) -> Option<Vec<TemplateSlot>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut ok = true;
    for (i, s) in slots.iter().enumerate() {
        let position = v.int(
            ("slots", i, "position"),
            &s.position,
            Some(1),
            Some(i64::from(i32::MAX)),
        );
        let meal_type: Option<MealTypeId> = v.uuid(("slots", i, "meal_type_id"), &s.meal_type_id);
        let time = match s.time.as_ref().filter(|t| !t.is_null()) {
            Some(t) => match v.meal_time(("slots", i, "time"), t) {
                Some(t) => Some(t),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        match (position, meal_type) {
            (Some(p), Some(t)) => {
                if !seen.insert(p) {
                    v.push(
                        "value_error",
                        ("slots", i, "position"),
                        format!("Value error, duplicate slot position {p}"),
                        json!(p),
                        None,
                    );
                    ok = false;
                }
                out.push(TemplateSlot {
                    position: p as i32,
                    meal_type: t,
                    time,
                });
            }
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn parse_kcal(v: &mut Issues, value: &Value) -> Option<i32> {
    v.int("max_calories_kcal", value, Some(1), Some(999_999))
        .map(|k| k as i32)
}

/// A new template.
#[derive(Deserialize, ToSchema)]
pub struct TemplateBody {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 999999)]
    pub max_calories_kcal: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub max_protein_g: Option<Value>,
    #[serde(default)]
    pub slots: Vec<SlotBody>,
}

impl FromBody for NewTemplate {
    type Raw = TemplateBody;
    fn parse(raw: TemplateBody, v: &mut Issues) -> Option<Self> {
        let name = v.text("name", &raw.name, 1, Some(255));
        let kcal = match raw.max_calories_kcal.as_ref().filter(|x| !x.is_null()) {
            Some(k) => Some(parse_kcal(v, k)?),
            None => None,
        };
        let protein = match raw.max_protein_g.as_ref().filter(|x| !x.is_null()) {
            Some(p) => Some(v.tenths("max_protein_g", p)?),
            None => None,
        };
        let slots = parse_slots(&raw.slots, v);
        Some(NewTemplate {
            name: name?,
            notes: raw.notes,
            max_calories_kcal: kcal,
            max_protein: protein,
            slots: slots?,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/day-templates", tag = "Day Templates", security(("bearer" = [])), request_body = TemplateBody,
    responses((status = 201, body = TemplateResponse), (status = 404, description = "Unknown meal type"), (status = 409, description = "Name taken"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewTemplate>,
) -> ApiResult<Response> {
    let t = app::library::create_template(&state, &user.write(), &body).await?;
    Ok((StatusCode::CREATED, Json(response(&t))).into_response())
}

/// Every field optional. `name`/`notes`: null leaves them; `max_*`: present (even null) sets
/// them; `slots`: non-null replaces all slots.
#[derive(Deserialize, ToSchema)]
pub struct TemplateUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub notes: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 999999)]
    pub max_calories_kcal: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub max_protein_g: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<SlotBody>>)]
    pub slots: Patch<Vec<SlotBody>>,
}

impl FromBody for TemplateChange {
    type Raw = TemplateUpdate;
    fn parse(raw: TemplateUpdate, v: &mut Issues) -> Option<Self> {
        let mut ok = true;
        let name = raw.name.as_value().and_then(|n| {
            let r = v.text("name", n, 1, Some(255));
            ok &= r.is_some();
            r
        });
        let max_calories_kcal = match &raw.max_calories_kcal {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(k) => Some(Some(parse_kcal(v, k)?)),
        };
        let max_protein: Option<Option<Tenths>> = match &raw.max_protein_g {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(p) => Some(Some(v.tenths("max_protein_g", p)?)),
        };
        let slots = match &raw.slots {
            Patch::Value(s) => Some(parse_slots(s, v)?),
            _ => None,
        };
        ok.then_some(TemplateChange {
            name,
            notes: raw.notes.as_value().cloned(),
            max_calories_kcal,
            max_protein,
            slots,
        })
    }
}

#[utoipa::path(put, path = "/api/v1/day-templates/{template_id}", tag = "Day Templates", security(("bearer" = [])),
    params(("template_id" = uuid::Uuid, Path)), request_body = TemplateUpdate,
    responses((status = 200, body = TemplateResponse), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TemplateChange>,
) -> ApiResult<Json<TemplateResponse>> {
    let id: DayTemplateId = params::id("template_id", &id)?;
    let t = app::library::update_template(&state, &user.write(), id, &body, false).await?;
    Ok(Json(response(&t)))
}

#[utoipa::path(delete, path = "/api/v1/day-templates/{template_id}", tag = "Day Templates", security(("bearer" = [])),
    params(("template_id" = uuid::Uuid, Path)), responses((status = 204), (status = 404), (status = 409, description = "Used by week plans")))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: DayTemplateId = params::id("template_id", &id)?;
    app::library::delete_template(&state, &user.write(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
