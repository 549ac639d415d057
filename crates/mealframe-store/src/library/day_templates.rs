//! Day templates: a named, ordered list of meal-type slots, with optional soft limits.

use std::collections::HashMap;

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar};
use mealframe_core::{
    ids::{DayTemplateId, MealTypeId, UserId},
    meal_time::MealTime,
    planning::generation::TemplateSlot,
    tenths::Tenths,
};
use uuid::Uuid;

use super::MealTypeRef;
use crate::{Rejection, Result, StoreError, library::meals::tenths};

#[derive(Debug, Clone)]
pub struct TemplateSlotView {
    pub id: Uuid,
    pub position: i32,
    pub meal_type: MealTypeRef,
    /// When the meal is eaten, in the user's time zone.
    pub time: Option<MealTime>,
}

#[derive(Debug, Clone)]
pub struct DayTemplate {
    pub id: DayTemplateId,
    pub name: String,
    pub notes: Option<String>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein: Option<Tenths>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// In position order.
    pub slots: Vec<TemplateSlotView>,
}

impl DayTemplate {
    /// Meal-type names in slot order joined by " → " (None without slots).
    pub fn preview(&self) -> Option<String> {
        (!self.slots.is_empty()).then(|| {
            self.slots
                .iter()
                .map(|s| s.meal_type.name.as_str())
                .collect::<Vec<_>>()
                .join(" → ")
        })
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    notes: Option<String>,
    max_calories_kcal: Option<i32>,
    max_protein_dg: Option<i32>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct SlotRow {
    id: Uuid,
    day_template_id: Uuid,
    position: i32,
    meal_type_id: Uuid,
    meal_type_name: String,
    time_minutes: Option<i32>,
}

async fn assemble(c: &mut Conn<'_>, user: UserId, rows: Vec<Row>) -> Result<Vec<DayTemplate>> {
    let slots = fetch_all!(
        c,
        SlotRow,
        "SELECT s.id, s.day_template_id, s.position, s.meal_type_id, mt.name AS meal_type_name,
                s.time_minutes
         FROM day_template_slots s JOIN day_templates t ON t.id = s.day_template_id
         JOIN meal_types mt ON mt.id = s.meal_type_id
         WHERE t.user_id = $1 ORDER BY s.day_template_id, s.position",
        user.uuid()
    )?;
    let mut by_template: HashMap<Uuid, Vec<TemplateSlotView>> = HashMap::new();
    for s in slots {
        by_template
            .entry(s.day_template_id)
            .or_default()
            .push(TemplateSlotView {
                id: s.id,
                position: s.position,
                meal_type: MealTypeRef::new(s.meal_type_id, s.meal_type_name),
                time: s.time_minutes.and_then(MealTime::from_minutes),
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| DayTemplate {
            id: DayTemplateId(r.id),
            slots: by_template.remove(&r.id).unwrap_or_default(),
            name: r.name,
            notes: r.notes,
            max_calories_kcal: r.max_calories_kcal,
            max_protein: tenths(r.max_protein_dg),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

const COLUMNS: &str = "id, name, notes, max_calories_kcal, max_protein_dg, created_at, updated_at";

/// The user's templates by name, with their slots.
pub async fn list(c: &mut Conn<'_>, user: UserId) -> Result<Vec<DayTemplate>> {
    let rows = fetch_all!(
        c.reborrow(),
        Row,
        sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM day_templates WHERE user_id = $1 ORDER BY name, id"
        )),
        user.uuid()
    )?;
    assemble(c, user, rows).await
}

pub async fn get(c: &mut Conn<'_>, user: UserId, id: DayTemplateId) -> Result<Option<DayTemplate>> {
    let row = fetch_optional!(
        c.reborrow(),
        Row,
        sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM day_templates WHERE id = $1 AND user_id = $2"
        )),
        id.uuid(),
        user.uuid()
    )?;
    match row {
        Some(r) => Ok(assemble(c, user, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// All the user's template slots, by template (for generation).
pub async fn slots_by_template(
    c: &mut Conn<'_>,
    user: UserId,
) -> Result<HashMap<DayTemplateId, Vec<TemplateSlot>>> {
    let rows = fetch_all!(
        c,
        (Uuid, i32, Uuid, Option<i32>),
        "SELECT s.day_template_id, s.position, s.meal_type_id, s.time_minutes FROM day_template_slots s
         JOIN day_templates t ON t.id = s.day_template_id WHERE t.user_id = $1 ORDER BY s.day_template_id, s.position",
        user.uuid()
    )?;
    let mut out: HashMap<DayTemplateId, Vec<TemplateSlot>> = HashMap::new();
    for (t, position, mt, minutes) in rows {
        out.entry(DayTemplateId(t)).or_default().push(TemplateSlot {
            position,
            meal_type: MealTypeId(mt),
            time: minutes.and_then(MealTime::from_minutes),
        });
    }
    Ok(out)
}

/// Whether the user owns a template with this id.
pub async fn exists(c: &mut Conn<'_>, user: UserId, id: DayTemplateId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM day_templates WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// A new template's fields; slot meal types must belong to the user (checked here: another
/// user's type is refused as `Rejection::MealTypeNotFound`, like an unknown one).
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub name: String,
    pub notes: Option<String>,
    pub max_calories_kcal: Option<i32>,
    pub max_protein: Option<Tenths>,
    pub slots: Vec<TemplateSlot>,
}

/// Refuse slots whose meal type is not the user's (the first such id).
async fn check_slot_types(c: &mut Conn<'_>, user: UserId, slots: &[TemplateSlot]) -> Result<()> {
    for s in slots {
        let mine = fetch_scalar!(
            c.reborrow(),
            i64,
            "SELECT COUNT(*) FROM meal_types WHERE id = $1 AND user_id = $2",
            s.meal_type.uuid(),
            user.uuid()
        )? > 0;
        if !mine {
            return Err(Rejection::MealTypeNotFound(s.meal_type).into());
        }
    }
    Ok(())
}

async fn replace_slots(c: &mut Conn<'_>, id: DayTemplateId, slots: &[TemplateSlot]) -> Result<()> {
    execute!(
        c.reborrow(),
        "DELETE FROM day_template_slots WHERE day_template_id = $1",
        id.uuid()
    )?;
    for s in slots {
        execute!(
            c.reborrow(),
            "INSERT INTO day_template_slots (id, day_template_id, position, meal_type_id, time_minutes)
             VALUES ($1, $2, $3, $4, $5)",
            Uuid::now_v7(),
            id.uuid(),
            s.position,
            s.meal_type.uuid(),
            s.time.map(MealTime::minutes)
        )?;
    }
    Ok(())
}

pub async fn insert(
    c: &mut Conn<'_>,
    user: UserId,
    t: &NewTemplate,
    now: Timestamp,
) -> Result<DayTemplate> {
    check_slot_types(c, user, &t.slots).await?;
    let id = DayTemplateId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO day_templates (id, user_id, name, notes, max_calories_kcal, max_protein_dg, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        id.uuid(),
        user.uuid(),
        &t.name,
        t.notes.as_deref(),
        t.max_calories_kcal,
        t.max_protein.map(Tenths::get),
        now
    )?;
    replace_slots(c, id, &t.slots).await?;
    get(c, user, id).await?.ok_or(StoreError::NotFound)
}

/// A partial update: `None` keeps a field; the limits are `Some(None)` to clear them.
#[derive(Debug, Clone, Default)]
pub struct TemplateChange {
    pub name: Option<String>,
    pub notes: Option<String>,
    pub max_calories_kcal: Option<Option<i32>>,
    pub max_protein: Option<Option<Tenths>>,
    pub slots: Option<Vec<TemplateSlot>>,
}

pub async fn update(
    c: &mut Conn<'_>,
    user: UserId,
    id: DayTemplateId,
    ch: &TemplateChange,
    now: Timestamp,
) -> Result<Option<DayTemplate>> {
    if let Some(slots) = &ch.slots {
        check_slot_types(c, user, slots).await?;
    }
    let n = execute!(
        c.reborrow(),
        "UPDATE day_templates SET
             name = COALESCE($3, name), notes = COALESCE($4, notes),
             max_calories_kcal = CASE WHEN $5 THEN $6 ELSE max_calories_kcal END,
             max_protein_dg = CASE WHEN $7 THEN $8 ELSE max_protein_dg END,
             updated_at = $9
         WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        ch.name.as_deref(),
        ch.notes.as_deref(),
        ch.max_calories_kcal.is_some(),
        ch.max_calories_kcal.flatten(),
        ch.max_protein.is_some(),
        ch.max_protein.flatten().map(Tenths::get),
        now
    )?;
    if n == 0 {
        return Ok(None);
    }
    if let Some(slots) = &ch.slots {
        replace_slots(c, id, slots).await?;
    }
    get(c, user, id).await
}

/// Whether a week plan maps a weekday to the template (then it cannot be deleted).
pub async fn used_by_week_plans(c: &mut Conn<'_>, user: UserId, id: DayTemplateId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM week_plan_days d JOIN week_plans p ON p.id = d.week_plan_id
         WHERE d.day_template_id = $1 AND p.user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// Delete; its slots go with it and generated days keep existing without a template.
pub async fn delete(c: &mut Conn<'_>, user: UserId, id: DayTemplateId) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM day_templates WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// Empty a template's notes (the web form's "clear").
pub async fn clear_notes(c: &mut Conn<'_>, user: UserId, id: DayTemplateId) -> Result<()> {
    execute!(
        c,
        "UPDATE day_templates SET notes = NULL WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )?;
    Ok(())
}
