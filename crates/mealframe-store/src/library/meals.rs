//! Meals: concrete food options with an exact portion text and optional nutrients, linked to
//! any number of the user's meal types.

use std::collections::HashMap;

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional, fetch_scalar, on_conn};
use mealframe_core::{
    ids::{MealId, MealTypeId, UserId},
    planning::macros::Macros,
    tenths::Tenths,
};
use uuid::Uuid;

use super::MealTypeRef;
use crate::{Result, sql};

/// Where a meal came from; only manual meals enter the round-robin rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Manual,
    /// Confirmed from the synchronous photo suggestion (`POST /meals/ai-capture`).
    AiCapture,
    /// Asynchronous captures (ADR-013): a photo, a voice note, a typed description.
    AdHocImage,
    AdHocVoice,
    AdHocText,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::AiCapture => "ai_capture",
            Source::AdHocImage => "ad_hoc_image",
            Source::AdHocVoice => "ad_hoc_voice",
            Source::AdHocText => "ad_hoc_text",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "manual" => Some(Source::Manual),
            "ai_capture" => Some(Source::AiCapture),
            "ad_hoc_image" => Some(Source::AdHocImage),
            "ad_hoc_voice" => Some(Source::AdHocVoice),
            "ad_hoc_text" => Some(Source::AdHocText),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Meal {
    pub id: MealId,
    pub name: String,
    pub portion_description: String,
    pub macros: Macros,
    pub notes: Option<String>,
    pub source: String,
    /// Hundredths (0.78 is 78).
    pub confidence_pct: Option<i32>,
    pub image_path: Option<String>,
    pub ai_model_version: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub meal_types: Vec<MealTypeRef>,
    /// `processing` while a capture job estimates it, `failed` when that gave up, else
    /// `completed`.
    pub processing_status: String,
    /// Why processing failed, in words the user can act on.
    pub processing_error: Option<String>,
    /// The items the model saw, as a JSON array of `{name, estimated_quantity}`.
    pub identified_items: Option<String>,
    /// Where the captured photo is kept in the photo store, if it is.
    pub photo_key: Option<String>,
}

/// The columns every meal query selects, prefixed by a table alias.
macro_rules! meal_columns {
    ($a:literal) => {
        concat!(
            $a,
            ".id, ",
            $a,
            ".name, ",
            $a,
            ".portion_description, ",
            $a,
            ".calories_kcal, ",
            $a,
            ".protein_dg, ",
            $a,
            ".carbs_dg, ",
            $a,
            ".sugar_dg, ",
            $a,
            ".fat_dg, ",
            $a,
            ".saturated_fat_dg, ",
            $a,
            ".fiber_dg, ",
            $a,
            ".notes, ",
            $a,
            ".source, ",
            $a,
            ".confidence_pct, ",
            $a,
            ".image_path, ",
            $a,
            ".ai_model_version, ",
            $a,
            ".created_at, ",
            $a,
            ".updated_at, ",
            $a,
            ".processing_status, ",
            $a,
            ".processing_error, ",
            $a,
            ".identified_items, ",
            $a,
            ".photo_key"
        )
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    portion_description: String,
    #[sqlx(flatten)]
    macros: MacroColumns,
    notes: Option<String>,
    source: String,
    confidence_pct: Option<i32>,
    image_path: Option<String>,
    ai_model_version: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    processing_status: String,
    processing_error: Option<String>,
    identified_items: Option<String>,
    photo_key: Option<String>,
}

pub(crate) fn tenths(v: Option<i32>) -> Option<Tenths> {
    v.map(Tenths::from_db)
}

/// A meal's seven nutrient columns as stored (integer tenths but for kcal).
#[derive(sqlx::FromRow)]
pub(crate) struct MacroColumns {
    calories_kcal: Option<i32>,
    protein_dg: Option<i32>,
    carbs_dg: Option<i32>,
    sugar_dg: Option<i32>,
    fat_dg: Option<i32>,
    saturated_fat_dg: Option<i32>,
    fiber_dg: Option<i32>,
}

impl From<MacroColumns> for Macros {
    fn from(m: MacroColumns) -> Macros {
        Macros {
            calories_kcal: m.calories_kcal,
            protein: tenths(m.protein_dg),
            carbs: tenths(m.carbs_dg),
            sugar: tenths(m.sugar_dg),
            fat: tenths(m.fat_dg),
            saturated_fat: tenths(m.saturated_fat_dg),
            fiber: tenths(m.fiber_dg),
        }
    }
}

impl Row {
    fn into_meal(self, meal_types: Vec<MealTypeRef>) -> Meal {
        Meal {
            id: MealId(self.id),
            name: self.name,
            portion_description: self.portion_description,
            macros: self.macros.into(),
            notes: self.notes,
            source: self.source,
            confidence_pct: self.confidence_pct,
            image_path: self.image_path,
            ai_model_version: self.ai_model_version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            meal_types,
            processing_status: self.processing_status,
            processing_error: self.processing_error,
            identified_items: self.identified_items,
            photo_key: self.photo_key,
        }
    }
}

/// The meal types linked to each of `meals` (sorted by name).
async fn types_of(c: &mut Conn<'_>, meals: &[Uuid]) -> Result<HashMap<Uuid, Vec<MealTypeRef>>> {
    let mut out: HashMap<Uuid, Vec<MealTypeRef>> = HashMap::new();
    for chunk in meals.chunks(500) {
        let text = format!(
            "SELECT mm.meal_id, t.id, t.name FROM meal_meal_types mm JOIN meal_types t ON t.id = mm.meal_type_id
             WHERE mm.meal_id IN ({}) ORDER BY t.name, t.id",
            sql::placeholders(1, chunk.len())
        );
        let rows: Vec<(Uuid, Uuid, String)> = on_conn!(c.reborrow(), |e| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(text.clone()));
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(e).await
        })?;
        for (meal, id, name) in rows {
            out.entry(meal)
                .or_default()
                .push(MealTypeRef::new(id, name));
        }
    }
    Ok(out)
}

async fn with_types(c: &mut Conn<'_>, rows: Vec<Row>) -> Result<Vec<Meal>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut types = types_of(c, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = types.remove(&r.id).unwrap_or_default();
            r.into_meal(t)
        })
        .collect())
}

pub async fn get(c: &mut Conn<'_>, user: UserId, id: MealId) -> Result<Option<Meal>> {
    let row = fetch_optional!(
        c.reborrow(),
        Row,
        concat!(
            "SELECT ",
            meal_columns!("m"),
            " FROM meals m WHERE m.id = $1 AND m.user_id = $2"
        ),
        id.uuid(),
        user.uuid()
    )?;
    match row {
        Some(r) => Ok(with_types(c, vec![r]).await?.pop()),
        None => Ok(None),
    }
}

/// Whether the user owns a meal with this id.
pub async fn exists(c: &mut Conn<'_>, user: UserId, id: MealId) -> Result<bool> {
    Ok(fetch_scalar!(
        c,
        i64,
        "SELECT COUNT(*) FROM meals WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// What to filter a list by.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Case-insensitive substring of the name (`%`/`_` are literal).
    pub search: Option<&'a str>,
    /// Also match the search in the portion text (web app).
    pub search_portion: bool,
    pub meal_type: Option<MealTypeId>,
    pub source: Option<&'a str>,
}

/// How to order a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    Name,
    Newest,
    CaloriesAsc,
    CaloriesDesc,
}

/// One page of the user's meals and the total number matching.
pub async fn list(
    c: &mut Conn<'_>,
    user: UserId,
    f: &Filter<'_>,
    order: Order,
    page: u32,
    page_size: u32,
) -> Result<(Vec<Meal>, i64)> {
    let pattern = f
        .search
        .map(|s| format!("%{}%", sql::like_escape(&s.to_lowercase())));
    let where_clause = "m.user_id = $1
        AND ($2 IS NULL OR m.name_key LIKE $2 ESCAPE '\\' OR ($3 AND m.portion_key LIKE $2 ESCAPE '\\'))
        AND ($4 IS NULL OR EXISTS (SELECT 1 FROM meal_meal_types mm WHERE mm.meal_id = m.id AND mm.meal_type_id = $4))
        AND ($5 IS NULL OR m.source = $5)";
    let order_by = match order {
        Order::Name => "m.name, m.id",
        Order::Newest => "m.created_at DESC, m.id DESC",
        Order::CaloriesAsc => {
            "CASE WHEN m.calories_kcal IS NULL THEN 1 ELSE 0 END, m.calories_kcal, m.name, m.id"
        }
        Order::CaloriesDesc => {
            "CASE WHEN m.calories_kcal IS NULL THEN 1 ELSE 0 END, m.calories_kcal DESC, m.name, m.id"
        }
    };
    let total_sql = format!("SELECT COUNT(*) FROM meals m WHERE {where_clause}");
    let total: i64 = fetch_scalar!(
        c.reborrow(),
        i64,
        sqlx::AssertSqlSafe(total_sql),
        user.uuid(),
        pattern.as_deref(),
        f.search_portion,
        f.meal_type.map(MealTypeId::uuid),
        f.source
    )?;
    let page_sql = format!(
        "SELECT {} FROM meals m WHERE {where_clause} ORDER BY {order_by} LIMIT $6 OFFSET $7",
        meal_columns!("m")
    );
    let offset = i64::from(page.saturating_sub(1)) * i64::from(page_size);
    let rows = fetch_all!(
        c.reborrow(),
        Row,
        sqlx::AssertSqlSafe(page_sql),
        user.uuid(),
        pattern.as_deref(),
        f.search_portion,
        f.meal_type.map(MealTypeId::uuid),
        f.source,
        i64::from(page_size),
        offset
    )?;
    Ok((with_types(c, rows).await?, total))
}

/// Every meal of the user, by name (CSV export, data export).
pub async fn all(c: &mut Conn<'_>, user: UserId) -> Result<Vec<Meal>> {
    let rows = fetch_all!(
        c.reborrow(),
        Row,
        concat!(
            "SELECT ",
            meal_columns!("m"),
            " FROM meals m WHERE m.user_id = $1 ORDER BY m.name, m.id"
        ),
        user.uuid()
    )?;
    with_types(c, rows).await
}

/// The user's most recently created meals as `(name, portion)` (AI capture context).
pub async fn recent(c: &mut Conn<'_>, user: UserId, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(fetch_all!(
        c,
        (String, String),
        "SELECT name, portion_description FROM meals WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        user.uuid(),
        limit
    )?)
}

/// Everything a new meal carries.
#[derive(Debug, Clone)]
pub struct NewMeal {
    pub name: String,
    pub portion_description: String,
    pub macros: Macros,
    pub notes: Option<String>,
    pub source: Source,
    pub confidence_pct: Option<i32>,
    pub image_path: Option<String>,
    pub ai_model_version: Option<String>,
    /// Must all belong to the user (checked by the caller).
    pub meal_types: Vec<MealTypeId>,
}

fn dg(v: Option<Tenths>) -> Option<i32> {
    v.map(Tenths::get)
}

/// Insert a meal and its links; returns its id.
pub async fn insert(c: &mut Conn<'_>, user: UserId, m: &NewMeal, now: Timestamp) -> Result<MealId> {
    let id = MealId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO meals (id, user_id, name, name_key, portion_description, portion_key, calories_kcal, protein_dg,
                            carbs_dg, sugar_dg, fat_dg, saturated_fat_dg, fiber_dg, notes, source, confidence_pct,
                            image_path, ai_model_version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)",
        id.uuid(),
        user.uuid(),
        &m.name,
        m.name.to_lowercase(),
        &m.portion_description,
        m.portion_description.to_lowercase(),
        m.macros.calories_kcal,
        dg(m.macros.protein),
        dg(m.macros.carbs),
        dg(m.macros.sugar),
        dg(m.macros.fat),
        dg(m.macros.saturated_fat),
        dg(m.macros.fiber),
        m.notes.as_deref(),
        m.source.as_str(),
        m.confidence_pct,
        m.image_path.as_deref(),
        m.ai_model_version.as_deref(),
        now
    )?;
    link(c, id, &m.meal_types).await?;
    Ok(id)
}

async fn link(c: &mut Conn<'_>, meal: MealId, types: &[MealTypeId]) -> Result<()> {
    let mut seen: Vec<MealTypeId> = Vec::new();
    for t in types {
        if seen.contains(t) {
            continue;
        }
        seen.push(*t);
        execute!(
            c.reborrow(),
            "INSERT INTO meal_meal_types (meal_id, meal_type_id) VALUES ($1, $2)",
            meal.uuid(),
            t.uuid()
        )?;
    }
    Ok(())
}

/// A partial update; `None` keeps a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MealChange {
    pub name: Option<String>,
    pub portion_description: Option<String>,
    pub calories_kcal: Option<i32>,
    /// protein, carbs, sugar, fat, saturated fat, fiber
    pub nutrients: [Option<Tenths>; 6],
    pub notes: Option<String>,
    pub meal_types: Option<Vec<MealTypeId>>,
}

/// Change a meal. A captured meal the user edits is theirs from then on: it counts as
/// completed (a pending estimate no longer overwrites it, a failure is no longer shown).
pub async fn update(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
    ch: &MealChange,
    now: Timestamp,
) -> Result<bool> {
    let [p, cb, s, f, sf, fi] = ch.nutrients.map(dg);
    let n = execute!(
        c.reborrow(),
        "UPDATE meals SET
             name = COALESCE($3, name), name_key = COALESCE($4, name_key),
             portion_description = COALESCE($5, portion_description), portion_key = COALESCE($6, portion_key),
             calories_kcal = COALESCE($7, calories_kcal), protein_dg = COALESCE($8, protein_dg),
             carbs_dg = COALESCE($9, carbs_dg), sugar_dg = COALESCE($10, sugar_dg), fat_dg = COALESCE($11, fat_dg),
             saturated_fat_dg = COALESCE($12, saturated_fat_dg), fiber_dg = COALESCE($13, fiber_dg),
             notes = COALESCE($14, notes), updated_at = $15,
             processing_status = 'completed', processing_error = NULL
         WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        ch.name.as_deref(),
        ch.name.as_ref().map(|n| n.to_lowercase()),
        ch.portion_description.as_deref(),
        ch.portion_description.as_ref().map(|p| p.to_lowercase()),
        ch.calories_kcal,
        p,
        cb,
        s,
        f,
        sf,
        fi,
        ch.notes.as_deref(),
        now
    )?;
    if n == 0 {
        return Ok(false);
    }
    if let Some(types) = &ch.meal_types {
        execute!(
            c.reborrow(),
            "DELETE FROM meal_meal_types WHERE meal_id = $1",
            id.uuid()
        )?;
        link(c, id, types).await?;
    }
    Ok(true)
}

/// Delete a meal: links go, planned slots keep existing with no meal, actual-meal links clear.
pub async fn delete(c: &mut Conn<'_>, user: UserId, id: MealId) -> Result<bool> {
    Ok(execute!(
        c,
        "DELETE FROM meals WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid()
    )? > 0)
}

/// The meal types a meal is linked to (ordered by name).
pub async fn type_ids(c: &mut Conn<'_>, meal: MealId) -> Result<Vec<MealTypeId>> {
    let rows = fetch_all!(
        c,
        (Uuid,),
        "SELECT mm.meal_type_id FROM meal_meal_types mm JOIN meal_types t ON t.id = mm.meal_type_id
         WHERE mm.meal_id = $1 ORDER BY t.name, t.id",
        meal.uuid()
    )?;
    Ok(rows.into_iter().map(|r| MealTypeId(r.0)).collect())
}

/// Load the compact form (id, name, portion, macros) of the given meals.
pub async fn compact(
    c: &mut Conn<'_>,
    user: UserId,
    ids: &[MealId],
) -> Result<HashMap<MealId, Meal>> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let row = fetch_optional!(
            c.reborrow(),
            Row,
            concat!(
                "SELECT ",
                meal_columns!("m"),
                " FROM meals m WHERE m.id = $1 AND m.user_id = $2"
            ),
            id.uuid(),
            user.uuid()
        )?;
        if let Some(r) = row {
            out.insert(*id, r.into_meal(Vec::new()));
        }
    }
    Ok(out)
}

/// Empty the named nutrient columns (and the notes): the web form's "clear this value".
pub async fn clear_fields(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
    api_fields: &[&str],
    notes: bool,
) -> Result<()> {
    for f in api_fields {
        let column = match *f {
            "calories_kcal" => "calories_kcal",
            "protein_g" => "protein_dg",
            "carbs_g" => "carbs_dg",
            "sugar_g" => "sugar_dg",
            "fat_g" => "fat_dg",
            "saturated_fat_g" => "saturated_fat_dg",
            "fiber_g" => "fiber_dg",
            _ => continue,
        };
        // `column` comes from the fixed list above, never from input.
        let sql = format!("UPDATE meals SET {column} = NULL WHERE id = $1 AND user_id = $2");
        execute!(
            c.reborrow(),
            sqlx::AssertSqlSafe(sql),
            id.uuid(),
            user.uuid()
        )?;
    }
    if notes {
        execute!(
            c.reborrow(),
            "UPDATE meals SET notes = NULL WHERE id = $1 AND user_id = $2",
            id.uuid(),
            user.uuid()
        )?;
    }
    Ok(())
}

/// A capture's state on its meal: `processing`, `completed` or `failed` (with the reason shown
/// to the user).
pub async fn set_processing(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
    status: &str,
    error: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE meals SET processing_status = $3, processing_error = $4, updated_at = $5
         WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        status,
        error,
        now
    )? == 1)
}

/// What a finished capture writes onto its meal.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub name: String,
    pub portion_description: String,
    pub macros: Macros,
    pub confidence_pct: i32,
    pub ai_model_version: String,
    /// JSON array of `{name, estimated_quantity}`.
    pub identified_items: String,
    /// Linked when the meal has no type yet (must be the user's; checked by the caller).
    pub meal_type: Option<MealTypeId>,
}

/// Fill a processing meal with the model's estimate and mark it completed. A meal the user has
/// edited meanwhile is no longer processing (see [`update`]) and keeps their values: `false`.
pub async fn fill_estimate(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
    e: &Estimate,
    now: Timestamp,
) -> Result<bool> {
    let n = execute!(
        c.reborrow(),
        "UPDATE meals SET name = $3, name_key = $4, portion_description = $5, portion_key = $6,
                calories_kcal = $7, protein_dg = $8, carbs_dg = $9, sugar_dg = $10, fat_dg = $11,
                saturated_fat_dg = $12, fiber_dg = $13, confidence_pct = $14, ai_model_version = $15,
                identified_items = $16, processing_status = 'completed', processing_error = NULL,
                updated_at = $17
         WHERE id = $1 AND user_id = $2 AND processing_status = 'processing'",
        id.uuid(),
        user.uuid(),
        &e.name,
        e.name.to_lowercase(),
        &e.portion_description,
        e.portion_description.to_lowercase(),
        e.macros.calories_kcal,
        dg(e.macros.protein),
        dg(e.macros.carbs),
        dg(e.macros.sugar),
        dg(e.macros.fat),
        dg(e.macros.saturated_fat),
        dg(e.macros.fiber),
        e.confidence_pct,
        &e.ai_model_version,
        &e.identified_items,
        now
    )?;
    if n == 1
        && let Some(t) = e.meal_type
        && type_ids(&mut c.reborrow(), id).await?.is_empty()
    {
        link(c, id, &[t]).await?;
    }
    Ok(n == 1)
}

/// Record (or with `None` forget) where the meal's photo is kept. Returns whether the meal is
/// the user's.
pub async fn set_photo(
    c: &mut Conn<'_>,
    user: UserId,
    id: MealId,
    key: Option<&str>,
) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE meals SET photo_key = $3 WHERE id = $1 AND user_id = $2",
        id.uuid(),
        user.uuid(),
        key
    )? == 1)
}

/// Every photo key of the user's meals (account deletion removes them from the store).
pub async fn photo_keys(c: &mut Conn<'_>, user: UserId) -> Result<Vec<String>> {
    Ok(fetch_all!(
        c,
        (String,),
        "SELECT photo_key FROM meals WHERE user_id = $1 AND photo_key IS NOT NULL ORDER BY photo_key",
        user.uuid()
    )?
    .into_iter()
    .map(|r| r.0)
    .collect())
}

/// Up to `limit` kept photos of meals created before `cutoff`, all users (the retention
/// setting): `(user, meal, key)`.
pub async fn photos_before(
    c: &mut Conn<'_>,
    cutoff: Timestamp,
    limit: i64,
) -> Result<Vec<(UserId, MealId, String)>> {
    Ok(fetch_all!(
        c,
        (Uuid, Uuid, String),
        "SELECT user_id, id, photo_key FROM meals
         WHERE photo_key IS NOT NULL AND created_at < $1 ORDER BY created_at, id LIMIT $2",
        cutoff,
        limit
    )?
    .into_iter()
    .map(|(u, m, k)| (UserId(u), MealId(m), k))
    .collect())
}
