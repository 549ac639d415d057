//! Meals (§1.6): list with search, filters and pagination; CRUD; CSV import (§4.9) and export in
//! the same format.

use axum::{
    Json,
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{
    csv_meals::{self},
    ids::{MealId, MealTypeId},
    planning::macros::Macros,
    tenths::{Tenths, format_scaled},
};
use mealframe_store::library::meals::{Filter, Meal, MealChange, NewMeal, Order, Source};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{params, wire};
use crate::{
    app::{
        self,
        meals::{Emptied, Imported, RowMessage as RowMessage_},
    },
    error::ApiResult,
    extract::{ApiJson, CurrentUser, FromBody, Issues, Patch, QueryParams, upload},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct MealListItem {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    pub protein_g: Option<String>,
    pub carbs_g: Option<String>,
    pub sugar_g: Option<String>,
    pub fat_g: Option<String>,
    pub saturated_fat_g: Option<String>,
    pub fiber_g: Option<String>,
    pub source: String,
    pub meal_types: Vec<wire::Compact>,
    /// Addition: the notes (the original's list left them out, so they could not be shown).
    pub notes: Option<String>,
    /// Addition: `processing` while a capture is being estimated, `failed` when that gave up,
    /// `completed` otherwise (every meal that was not captured asynchronously).
    #[schema(value_type = ProcessingStatus)]
    pub processing_status: String,
}

#[derive(Serialize, ToSchema)]
pub struct MealPage {
    pub items: Vec<MealListItem>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    pub total_pages: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MealResponse {
    pub name: String,
    pub portion_description: String,
    pub calories_kcal: Option<i32>,
    pub protein_g: Option<String>,
    pub carbs_g: Option<String>,
    pub sugar_g: Option<String>,
    pub fat_g: Option<String>,
    pub saturated_fat_g: Option<String>,
    pub fiber_g: Option<String>,
    pub notes: Option<String>,
    pub source: String,
    pub confidence_score: Option<String>,
    pub image_path: Option<String>,
    pub ai_model_version: Option<String>,
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub meal_types: Vec<wire::Compact>,
    /// Addition: `processing` while a capture is being estimated, `failed` when that gave up
    /// (see `processing_error`, and `POST /api/v1/captures/{meal_id}/retry`), else `completed`.
    #[schema(value_type = ProcessingStatus)]
    pub processing_status: String,
    /// Addition: why processing failed, in words for the user.
    pub processing_error: Option<String>,
    /// Addition: what the model saw (captures); `null` for other meals.
    pub identified_items: Option<Vec<IdentifiedItem>>,
}

/// One thing the model saw in a captured meal.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct IdentifiedItem {
    pub name: String,
    pub estimated_quantity: String,
}

// The states of a meal's capture, for the OpenAPI document.
/// Where a meal's capture stands.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    Processing,
    Completed,
    Failed,
}

pub fn response(m: &Meal) -> MealResponse {
    let d = |v: Option<Tenths>| wire::decimal(v);
    MealResponse {
        name: m.name.clone(),
        portion_description: m.portion_description.clone(),
        calories_kcal: m.macros.calories_kcal,
        protein_g: d(m.macros.protein),
        carbs_g: d(m.macros.carbs),
        sugar_g: d(m.macros.sugar),
        fat_g: d(m.macros.fat),
        saturated_fat_g: d(m.macros.saturated_fat),
        fiber_g: d(m.macros.fiber),
        notes: m.notes.clone(),
        source: m.source.clone(),
        confidence_score: m.confidence_pct.map(|c| format_scaled(i64::from(c), 2)),
        // A kept capture photo is served by the API (the original left this field free text).
        image_path: m.image_path.clone().or_else(|| {
            m.photo_key
                .as_ref()
                .map(|_| format!("/api/v1/meals/{}/photo", m.id))
        }),
        ai_model_version: m.ai_model_version.clone(),
        id: m.id.to_string(),
        created_at: wire::instant(m.created_at),
        updated_at: wire::instant(m.updated_at),
        meal_types: m.meal_types.iter().map(wire::Compact::from).collect(),
        processing_status: m.processing_status.clone(),
        processing_error: m.processing_error.clone(),
        identified_items: m
            .identified_items
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
    }
}

fn list_item(m: &Meal) -> MealListItem {
    let d = |v: Option<Tenths>| wire::decimal(v);
    MealListItem {
        id: m.id.to_string(),
        name: m.name.clone(),
        portion_description: m.portion_description.clone(),
        calories_kcal: m.macros.calories_kcal,
        protein_g: d(m.macros.protein),
        carbs_g: d(m.macros.carbs),
        sugar_g: d(m.macros.sugar),
        fat_g: d(m.macros.fat),
        saturated_fat_g: d(m.macros.saturated_fat),
        fiber_g: d(m.macros.fiber),
        source: m.source.clone(),
        meal_types: m.meal_types.iter().map(wire::Compact::from).collect(),
        notes: m.notes.clone(),
        processing_status: m.processing_status.clone(),
    }
}

// The sources a meal may have (`Source::parse`), for the OpenAPI document.
/// Where a meal came from.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum MealSource {
    Manual,
    AiCapture,
    AdHocImage,
    AdHocVoice,
    AdHocText,
}

// The orders `list` accepts in `sort`, for the OpenAPI document.
/// The order of the list.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum MealSort {
    Name,
    Newest,
    CaloriesAsc,
    CaloriesDesc,
}

/// List the user's meals, ordered by name (or `sort`).
#[utoipa::path(get, path = "/api/v1/meals", tag = "Meals", security(("bearer" = [])),
    params(
        ("page" = Option<i64>, Query, minimum = 1, maximum = 4294967295_i64, description = "Default 1"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Default 20"),
        ("search" = Option<String>, Query, description = "Case-insensitive substring of the name (% and _ are literal)"),
        ("search_portion" = Option<bool>, Query, description = "Addition: also search the portion text"),
        ("meal_type_id" = Option<uuid::Uuid>, Query),
        ("source" = Option<String>, Query, description = "manual | ai_capture | ad_hoc_image | ad_hoc_voice | ad_hoc_text"),
        ("sort" = inline(Option<MealSort>), Query, description = "Addition: the order, default `name`"),
    ),
    responses((status = 200, body = MealPage), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    q: QueryParams,
) -> ApiResult<Json<MealPage>> {
    let mut v = Issues::query();
    let page = q.get("page").map_or(Some(1), |p| {
        v.int_str("page", p, Some(1), Some(i64::from(u32::MAX)))
    });
    let page_size = q
        .get("page_size")
        .map_or(Some(20), |p| v.int_str("page_size", p, Some(1), Some(100)));
    let meal_type: Option<Option<MealTypeId>> = match q.get("meal_type_id") {
        Some(raw) => v.uuid_str("meal_type_id", raw).map(Some),
        None => Some(None),
    };
    let order = match q.get("sort").unwrap_or("name") {
        "name" => Some(Order::Name),
        "newest" => Some(Order::Newest),
        "calories_asc" => Some(Order::CaloriesAsc),
        "calories_desc" => Some(Order::CaloriesDesc),
        other => {
            v.push(
                "enum",
                "sort",
                "Input should be 'name', 'newest', 'calories_asc' or 'calories_desc'",
                json!(other),
                None,
            );
            None
        }
    };
    let search_portion = q
        .get("search_portion")
        .map_or(Some(false), |s| v.bool_str("search_portion", s));
    let parsed = page
        .zip(page_size)
        .zip(meal_type)
        .zip(order)
        .zip(search_portion);
    let ((((page, page_size), meal_type), order), search_portion) = v.finish(parsed)?;
    let filter = Filter {
        search: q.non_empty("search"),
        search_portion,
        meal_type,
        source: q.non_empty("source"),
    };
    let found = app::meals::list(
        &state,
        &user.user,
        &filter,
        order,
        page as u32,
        page_size as u32,
    )
    .await?;
    let (items, total) = (&found.0, found.1);
    Ok(Json(MealPage {
        items: items.iter().map(list_item).collect(),
        total,
        page: page as u32,
        page_size: page_size as u32,
        total_pages: (total + page_size - 1) / page_size,
    }))
}

#[utoipa::path(get, path = "/api/v1/meals/{meal_id}", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)), responses((status = 200, body = MealResponse), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MealResponse>> {
    let id: MealId = params::id("meal_id", &id)?;
    let m = app::meals::get(&state, user.id(), id).await?;
    Ok(Json(response(&m)))
}

/// A new meal.
#[derive(Deserialize, ToSchema)]
pub struct MealBody {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[schema(min_length = 1)]
    pub portion_description: String,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 999999)]
    pub calories_kcal: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub protein_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub carbs_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub sugar_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub fat_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub saturated_fat_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub fiber_g: Option<Value>,
    #[serde(default)]
    pub notes: Option<String>,
    /// Default `manual`.
    #[serde(default)]
    #[schema(value_type = Option<MealSource>)]
    pub source: Option<String>,
    #[serde(default)]
    /// 0 to 1.
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub confidence_score: Option<Value>,
    #[serde(default)]
    pub image_path: Option<String>,
    #[serde(default)]
    pub ai_model_version: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<uuid::Uuid>>)]
    pub meal_type_ids: Option<Vec<Value>>,
}

const NUTRIENTS: [&str; 6] = [
    "protein_g",
    "carbs_g",
    "sugar_g",
    "fat_g",
    "saturated_fat_g",
    "fiber_g",
];

fn kcal(v: &mut Issues, value: &Value) -> Option<i32> {
    v.int(
        "calories_kcal",
        value,
        Some(0),
        Some(csv_meals::MAX_CALORIES),
    )
    .map(|k| k as i32)
}

fn type_ids(v: &mut Issues, ids: &[Value]) -> Option<Vec<MealTypeId>> {
    let parsed: Vec<Option<MealTypeId>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| v.uuid(("meal_type_ids", i), id))
        .collect();
    parsed.into_iter().collect()
}

fn optional<T>(
    value: &Option<Value>,
    f: impl FnOnce(&Value) -> Option<T>,
) -> Result<Option<T>, ()> {
    match value.as_ref().filter(|x| !x.is_null()) {
        Some(x) => f(x).map(Some).ok_or(()),
        None => Ok(None),
    }
}

impl FromBody for NewMeal {
    type Raw = MealBody;
    fn parse(raw: MealBody, v: &mut Issues) -> Option<Self> {
        let name = v.text("name", &raw.name, 1, Some(255));
        let portion = v.text("portion_description", &raw.portion_description, 1, None);
        let calories = optional(&raw.calories_kcal, |x| kcal(v, x));
        let values = [
            &raw.protein_g,
            &raw.carbs_g,
            &raw.sugar_g,
            &raw.fat_g,
            &raw.saturated_fat_g,
            &raw.fiber_g,
        ];
        let mut nutrients = [None; 6];
        let mut ok = true;
        for (i, value) in values.iter().enumerate() {
            match optional(value, |x| v.tenths(NUTRIENTS[i], x)) {
                Ok(n) => nutrients[i] = n,
                Err(()) => ok = false,
            }
        }
        let source = match raw.source.as_deref() {
            None => Some(Source::Manual),
            Some(s) => {
                let parsed = Source::parse(s);
                if parsed.is_none() {
                    v.push(
                        "enum",
                        "source",
                        "Input should be 'manual', 'ai_capture', 'ad_hoc_image', 'ad_hoc_voice' or 'ad_hoc_text'",
                        json!(s),
                        Some(json!({"expected": "'manual', 'ai_capture', 'ad_hoc_image', 'ad_hoc_voice' or 'ad_hoc_text'"})),
                    );
                }
                parsed
            }
        };
        let confidence = optional(&raw.confidence_score, |x| {
            v.unit_fraction("confidence_score", x)
        });
        let types = match &raw.meal_type_ids {
            Some(ids) => type_ids(v, ids),
            None => Some(Vec::new()),
        };
        let [protein, carbs, sugar, fat, saturated_fat, fiber] = nutrients;
        if !ok {
            return None;
        }
        Some(NewMeal {
            name: name?,
            portion_description: portion?,
            macros: Macros {
                calories_kcal: calories.ok()?,
                protein,
                carbs,
                sugar,
                fat,
                saturated_fat,
                fiber,
            },
            notes: raw.notes,
            source: source?,
            confidence_pct: confidence.ok()?,
            image_path: raw.image_path,
            ai_model_version: raw.ai_model_version,
            meal_types: types?,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/meals", tag = "Meals", security(("bearer" = [])), request_body = MealBody,
    responses((status = 201, body = MealResponse), (status = 404, description = "Unknown meal type"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewMeal>,
) -> ApiResult<Response> {
    let m = app::meals::create(&state, &user.write(), &body).await?;
    Ok((StatusCode::CREATED, Json(response(&m))).into_response())
}

/// Every field optional; `null` leaves a field unchanged; `meal_type_ids` replaces the links.
#[derive(Deserialize, ToSchema)]
pub struct MealUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1)]
    pub portion_description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 999999)]
    pub calories_kcal: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub protein_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub carbs_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub sugar_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub fat_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub saturated_fat_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<wire::DecimalInput>)]
    pub fiber_g: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub notes: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<uuid::Uuid>>)]
    pub meal_type_ids: Option<Vec<Value>>,
}

impl FromBody for MealChange {
    type Raw = MealUpdate;
    fn parse(raw: MealUpdate, v: &mut Issues) -> Option<Self> {
        let mut ok = true;
        let name = raw.name.as_value().and_then(|n| {
            let r = v.text("name", n, 1, Some(255));
            ok &= r.is_some();
            r
        });
        let portion = raw.portion_description.as_value().and_then(|p| {
            let r = v.text("portion_description", p, 1, None);
            ok &= r.is_some();
            r
        });
        let calories = optional(&raw.calories_kcal, |x| kcal(v, x)).unwrap_or_else(|()| {
            ok = false;
            None
        });
        let values = [
            &raw.protein_g,
            &raw.carbs_g,
            &raw.sugar_g,
            &raw.fat_g,
            &raw.saturated_fat_g,
            &raw.fiber_g,
        ];
        let mut nutrients = [None; 6];
        for (i, value) in values.iter().enumerate() {
            match optional(value, |x| v.tenths(NUTRIENTS[i], x)) {
                Ok(n) => nutrients[i] = n,
                Err(()) => ok = false,
            }
        }
        let meal_types = match &raw.meal_type_ids {
            Some(ids) => {
                let t = type_ids(v, ids);
                ok &= t.is_some();
                t
            }
            None => None,
        };
        ok.then(|| MealChange {
            name,
            portion_description: portion,
            calories_kcal: calories,
            nutrients,
            notes: raw.notes.as_value().cloned(),
            meal_types,
        })
    }
}

#[utoipa::path(put, path = "/api/v1/meals/{meal_id}", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)), request_body = MealUpdate, responses((status = 200, body = MealResponse), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MealChange>,
) -> ApiResult<Json<MealResponse>> {
    let id: MealId = params::id("meal_id", &id)?;
    let m = app::meals::update(&state, &user.write(), id, &body, &Emptied::default()).await?;
    Ok(Json(response(&m)))
}

#[utoipa::path(delete, path = "/api/v1/meals/{meal_id}", tag = "Meals", security(("bearer" = [])),
    params(("meal_id" = uuid::Uuid, Path)), responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: MealId = params::id("meal_id", &id)?;
    app::meals::delete(&state, &user.write(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ----- CSV ------------------------------------------------------------------------------------

#[derive(Serialize, ToSchema, Default)]
pub struct ImportSummary {
    pub total_rows: usize,
    pub created: usize,
    pub skipped: usize,
    pub warnings: usize,
    pub created_meal_types: Vec<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct RowMessage {
    pub row: usize,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub success: bool,
    pub summary: ImportSummary,
    pub warnings: Vec<RowMessage>,
    pub errors: Vec<RowMessage>,
}

/// Import meals from a CSV upload (multipart field `file`); one transaction for the whole file.
#[utoipa::path(post, path = "/api/v1/meals/import", tag = "Meals", security(("bearer" = [])),
    request_body(content = upload::CsvUpload, content_type = "multipart/form-data", description = "field `file`: the CSV"),
    responses((status = 200, body = ImportResult), (status = 400, description = "Wrong type, encoding or empty"), (status = 413), (status = 422)))]
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ImportResult>> {
    let text = upload::csv_file(&state.config, multipart).await?;
    let imported = app::meals::import_csv(&state, &user.write(), &text).await?;
    Ok(Json(imported.into()))
}

impl From<Imported> for ImportResult {
    fn from(i: Imported) -> Self {
        let message = |m: RowMessage_| RowMessage {
            row: m.row,
            message: m.message,
        };
        ImportResult {
            success: i.success,
            summary: ImportSummary {
                total_rows: i.total_rows,
                created: i.created,
                skipped: i.total_rows - i.created,
                warnings: i.warnings.len(),
                created_meal_types: i.created_meal_types,
            },
            warnings: i.warnings.into_iter().map(message).collect(),
            errors: i.errors.into_iter().map(message).collect(),
        }
    }
}

/// Download every meal as CSV (the import format, so it imports back).
#[utoipa::path(get, path = "/api/v1/meals/export", tag = "Meals", security(("bearer" = [])),
    responses((status = 200, description = "CSV file", content_type = "text/csv")))]
pub async fn export(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    let body = app::meals::export_csv(&state, user.id()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mealframe-meals.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
