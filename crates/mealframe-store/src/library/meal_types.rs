//! Meal types: purpose slots such as "Breakfast" or "Pre-Workout Snack". Names are unique per user.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar};
use mealframe_core::ids::{MealTypeId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Result, StoreError};

#[derive(Debug, Clone)]
pub struct MealType {
    pub id: MealTypeId,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// How many of the user's meals are linked to it (lists only).
    pub meal_count: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    description: Option<String>,
    tags: Json<Vec<String>>,
    created_at: Timestamp,
    updated_at: Timestamp,
    meal_count: i64,
}

impl From<Row> for MealType {
    fn from(r: Row) -> Self {
        MealType {
            id: MealTypeId(r.id),
            name: r.name,
            description: r.description,
            tags: r.tags.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            meal_count: r.meal_count,
        }
    }
}

/// The user's meal types by name, each with the number of the user's meals linked to it.
pub async fn list(c: &mut Conn<'_>, user: UserId) -> Result<Vec<MealType>> {
    let rows = fetch_all!(
        c,
        Row,
        "SELECT t.id, t.name, t.description, t.tags, t.created_at, t.updated_at,
                CAST((SELECT COUNT(*) FROM meal_meal_types mm JOIN meals m ON m.id = mm.meal_id
                      WHERE mm.meal_type_id = t.id AND m.user_id = t.user_id) AS BIGINT) AS meal_count
         FROM meal_types t WHERE t.user_id = $1 ORDER BY t.name, t.id",
        user.uuid()
    )?;
    Ok(rows.into_iter().map(MealType::from).collect())
}

pub async fn get(c: &mut Conn<'_>, user: UserId, id: MealTypeId) -> Result<Option<MealType>> {
    let row = fetch_optional!(
        c,
        Row,
        "SELECT id, name, description, tags, created_at, updated_at, CAST(0 AS BIGINT) AS meal_count
         FROM meal_types WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )?;
    Ok(row.map(MealType::from))
}

/// Create a meal type; a taken name is `StoreError::Integrity(Unique)`.
pub async fn insert(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
    description: Option<&str>,
    tags: &[String],
    now: Timestamp,
) -> Result<MealType> {
    let id = MealTypeId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO meal_types (id, user_id, name, description, tags, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        id.uuid(),
        user.uuid(),
        name,
        description,
        Json(tags),
        now
    )?;
    get(c, user, id).await?.ok_or(StoreError::NotFound)
}

/// Change the given fields (`None` keeps the current value).
pub async fn update(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealTypeId,
    name: Option<&str>,
    description: Option<&str>,
    tags: Option<&[String]>,
    now: Timestamp,
) -> Result<Option<MealType>> {
    let n = execute!(
        c.reborrow(),
        "UPDATE meal_types SET
             name = COALESCE($3, name),
             description = CASE WHEN $4 THEN $5 ELSE description END,
             tags = CASE WHEN $6 THEN $7 ELSE tags END,
             updated_at = $8
         WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        name,
        description.is_some(),
        description,
        tags.is_some(),
        Json(tags.unwrap_or(&[])),
        now
    )?;
    if n == 0 {
        return Ok(None);
    }
    get(c, user, id).await
}

/// Whether a day-template slot uses the type (then it cannot be deleted).
pub async fn used_by_templates(c: &mut Conn<'_>, user: UserId, id: MealTypeId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM day_template_slots s JOIN day_templates t ON t.id = s.day_template_id
         WHERE s.meal_type_id = $1 AND t.user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// Delete; its links and round-robin state go with it, generated slots keep a null type.
pub async fn delete(c: &mut Conn<'_>, user: UserId, id: MealTypeId) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM meal_types WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// `(id, name)` of all the user's meal types.
pub async fn names(c: &mut Conn<'_>, user: UserId) -> Result<Vec<(MealTypeId, String)>> {
    let rows = fetch_all!(
        c,
        (Uuid, String),
        "SELECT id, name FROM meal_types WHERE user_id = $1 ORDER BY name, id",
        user.uuid()
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (MealTypeId(id), n))
        .collect())
}
