//! Meal types (§1.7): CRUD; names unique per user; a type used by a day-template slot cannot be
//! deleted (and, unlike the original, one that only took part in generation can).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mealframe_core::ids::MealTypeId;
use mealframe_store::library::meal_types::MealType;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{params, wire};
use crate::{
    app,
    error::ApiResult,
    extract::{ApiJson, CurrentUser, FromBody, Issues, Patch},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct MealTypeResponse {
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct MealTypeWithCount {
    #[serde(flatten)]
    pub meal_type: MealTypeResponse,
    pub meal_count: i64,
}

fn response(t: &MealType) -> MealTypeResponse {
    MealTypeResponse {
        name: t.name.clone(),
        description: t.description.clone(),
        tags: t.tags.clone(),
        id: t.id.to_string(),
        created_at: wire::instant(t.created_at),
        updated_at: wire::instant(t.updated_at),
    }
}

#[utoipa::path(get, path = "/api/v1/meal-types", tag = "Meal Types", security(("bearer" = [])),
    responses((status = 200, body = Vec<MealTypeWithCount>)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<MealTypeWithCount>>> {
    let all = app::library::meal_types(&state, user.id()).await?;
    Ok(Json(
        all.iter()
            .map(|t| MealTypeWithCount {
                meal_type: response(t),
                meal_count: t.meal_count,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/meal-types/{meal_type_id}", tag = "Meal Types", security(("bearer" = [])),
    params(("meal_type_id" = uuid::Uuid, Path)), responses((status = 200, body = MealTypeResponse), (status = 404)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MealTypeResponse>> {
    let id: MealTypeId = params::id("meal_type_id", &id)?;
    let t = app::library::meal_type(&state, user.id(), id).await?;
    Ok(Json(response(&t)))
}

/// `{name, description?, tags?}`
#[derive(Deserialize, ToSchema)]
pub struct MealTypeBody {
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl FromBody for MealTypeBody {
    type Raw = MealTypeBody;
    fn parse(raw: MealTypeBody, v: &mut Issues) -> Option<Self> {
        v.text("name", &raw.name, 1, Some(255))?;
        Some(raw)
    }
}

#[utoipa::path(post, path = "/api/v1/meal-types", tag = "Meal Types", security(("bearer" = [])), request_body = MealTypeBody,
    responses((status = 201, body = MealTypeResponse), (status = 409, description = "Name taken"), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MealTypeBody>,
) -> ApiResult<Response> {
    let tags = body.tags.unwrap_or_default();
    let t = app::library::create_meal_type(
        &state,
        &user.write(),
        &body.name,
        body.description.as_deref(),
        &tags,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(response(&t))).into_response())
}

/// Every field optional; `null` leaves a field unchanged (as the original).
#[derive(Deserialize, ToSchema)]
pub struct MealTypeUpdate {
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
}

impl FromBody for MealTypeUpdate {
    type Raw = MealTypeUpdate;
    fn parse(raw: MealTypeUpdate, v: &mut Issues) -> Option<Self> {
        if let Patch::Value(n) = &raw.name {
            v.text("name", n, 1, Some(255))?;
        }
        Some(raw)
    }
}

#[utoipa::path(put, path = "/api/v1/meal-types/{meal_type_id}", tag = "Meal Types", security(("bearer" = [])),
    params(("meal_type_id" = uuid::Uuid, Path)), request_body = MealTypeUpdate,
    responses((status = 200, body = MealTypeResponse), (status = 404), (status = 409)))]
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MealTypeUpdate>,
) -> ApiResult<Json<MealTypeResponse>> {
    let id: MealTypeId = params::id("meal_type_id", &id)?;
    let t = app::library::update_meal_type(
        &state,
        &user.write(),
        id,
        body.name.as_value().map(String::as_str),
        body.description.as_value().map(String::as_str),
        body.tags.as_value().map(Vec::as_slice),
    )
    .await?;
    Ok(Json(response(&t)))
}

#[utoipa::path(delete, path = "/api/v1/meal-types/{meal_type_id}", tag = "Meal Types", security(("bearer" = [])),
    params(("meal_type_id" = uuid::Uuid, Path)), responses((status = 204), (status = 404), (status = 409, description = "Used by day template slots")))]
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: MealTypeId = params::id("meal_type_id", &id)?;
    app::library::delete_meal_type(&state, &user.write(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
