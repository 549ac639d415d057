//! Week plans: weekday (0 = Monday) → day template. At most one per user is the default, which is
//! what weekly generation uses; the first plan a user creates becomes the default.

use std::collections::HashMap;

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar};
use mealframe_core::ids::{DayTemplateId, UserId, WeekPlanId};
use uuid::Uuid;

use super::NamedRef;
use crate::{Result, StoreError};

#[derive(Debug, Clone)]
pub struct WeekPlanDay {
    pub id: Uuid,
    pub weekday: u8,
    pub day_template: NamedRef<DayTemplateId>,
}

#[derive(Debug, Clone)]
pub struct WeekPlan {
    pub id: WeekPlanId,
    pub name: String,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// By weekday.
    pub days: Vec<WeekPlanDay>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    is_default: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct DayRow {
    id: Uuid,
    week_plan_id: Uuid,
    weekday: i32,
    day_template_id: Uuid,
    template_name: String,
}

async fn assemble(c: &mut Conn<'_>, user: UserId, rows: Vec<Row>) -> Result<Vec<WeekPlan>> {
    let days = fetch_all!(
        c,
        DayRow,
        "SELECT d.id, d.week_plan_id, d.weekday, d.day_template_id, t.name AS template_name
         FROM week_plan_days d JOIN week_plans p ON p.id = d.week_plan_id JOIN day_templates t ON t.id = d.day_template_id
         WHERE p.user_id = $1 ORDER BY d.week_plan_id, d.weekday",
        user.uuid()
    )?;
    let mut by_plan: HashMap<Uuid, Vec<WeekPlanDay>> = HashMap::new();
    for d in days {
        by_plan
            .entry(d.week_plan_id)
            .or_default()
            .push(WeekPlanDay {
                id: d.id,
                weekday: d.weekday as u8,
                day_template: NamedRef::new(d.day_template_id, d.template_name),
            });
    }
    Ok(rows
        .into_iter()
        .map(|r| WeekPlan {
            id: WeekPlanId(r.id),
            days: by_plan.remove(&r.id).unwrap_or_default(),
            name: r.name,
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

pub async fn list(c: &mut Conn<'_>, user: UserId) -> Result<Vec<WeekPlan>> {
    let rows = fetch_all!(
        c.reborrow(),
        Row,
        "SELECT id, name, is_default, created_at, updated_at FROM week_plans WHERE user_id = $1 ORDER BY name, id",
        user.uuid()
    )?;
    assemble(c, user, rows).await
}

pub async fn get(c: &mut Conn<'_>, user: UserId, id: WeekPlanId) -> Result<Option<WeekPlan>> {
    let row = fetch_optional!(
        c.reborrow(),
        Row,
        "SELECT id, name, is_default, created_at, updated_at FROM week_plans WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )?;
    match row {
        Some(r) => Ok(assemble(c, user, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// The user's default plan and its weekday → template mapping.
pub async fn default_plan(
    c: &mut Conn<'_>,
    user: UserId,
) -> Result<Option<(WeekPlanId, HashMap<u8, DayTemplateId>)>> {
    let Some((id,)) = fetch_optional!(
        c.reborrow(),
        (Uuid,),
        "SELECT id FROM week_plans WHERE user_id = $1 AND is_default = TRUE",
        user.uuid()
    )?
    else {
        return Ok(None);
    };
    let days = fetch_all!(
        c,
        (i32, Uuid),
        "SELECT weekday, day_template_id FROM week_plan_days WHERE week_plan_id = $1",
        id
    )?;
    Ok(Some((
        WeekPlanId(id),
        days.into_iter()
            .map(|(w, t)| (w as u8, DayTemplateId(t)))
            .collect(),
    )))
}

async fn clear_default(c: &mut Conn<'_>, user: UserId) -> Result<()> {
    execute!(
        c,
        "UPDATE week_plans SET is_default = FALSE WHERE user_id = $1 AND is_default = TRUE",
        user.uuid()
    )?;
    Ok(())
}

async fn replace_days(
    c: &mut Conn<'_>,
    id: WeekPlanId,
    days: &[(u8, DayTemplateId)],
) -> Result<()> {
    execute!(
        c.reborrow(),
        "DELETE FROM week_plan_days WHERE week_plan_id = $1",
        id.uuid()
    )?;
    for (weekday, template) in days {
        execute!(
            c.reborrow(),
            "INSERT INTO week_plan_days (id, week_plan_id, weekday, day_template_id) VALUES ($1, $2, $3, $4)",
            Uuid::now_v7(),
            id.uuid(),
            i32::from(*weekday),
            template.uuid()
        )?;
    }
    Ok(())
}

/// Create a plan. The user's first plan is always the default; `is_default` moves the flag.
pub async fn insert(
    c: &mut Conn<'_>,
    user: UserId,
    name: &str,
    is_default: bool,
    days: &[(u8, DayTemplateId)],
    now: Timestamp,
) -> Result<WeekPlan> {
    let existing = fetch_scalar!(
        c.reborrow(),
        i64,
        "SELECT COUNT(*) FROM week_plans WHERE user_id = $1",
        user.uuid()
    )?;
    let is_default = is_default || existing == 0;
    if is_default {
        clear_default(&mut c.reborrow(), user).await?;
    }
    let id = WeekPlanId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO week_plans (id, user_id, name, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        id.uuid(),
        user.uuid(),
        name,
        is_default,
        now
    )?;
    replace_days(c, id, days).await?;
    get(c, user, id).await?.ok_or(StoreError::NotFound)
}

pub async fn update(
    c: &mut Conn<'_>,
    user: UserId,
    id: WeekPlanId,
    name: Option<&str>,
    is_default: Option<bool>,
    days: Option<&[(u8, DayTemplateId)]>,
    now: Timestamp,
) -> Result<Option<WeekPlan>> {
    if !exists(c, user, id).await? {
        return Ok(None);
    }
    if is_default == Some(true) {
        clear_default(&mut c.reborrow(), user).await?;
    }
    execute!(
        c.reborrow(),
        "UPDATE week_plans SET name = COALESCE($3, name), is_default = COALESCE($4, is_default), updated_at = $5
         WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        name,
        is_default,
        now
    )?;
    if let Some(days) = days {
        replace_days(c, id, days).await?;
    }
    get(c, user, id).await
}

pub async fn exists(c: &mut Conn<'_>, user: UserId, id: WeekPlanId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM week_plans WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

pub async fn set_default(
    c: &mut Conn<'_>,
    user: UserId,
    id: WeekPlanId,
    now: Timestamp,
) -> Result<Option<WeekPlan>> {
    update(c, user, id, None, Some(true), None, now).await
}

pub async fn delete(c: &mut Conn<'_>, user: UserId, id: WeekPlanId) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM week_plans WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}
