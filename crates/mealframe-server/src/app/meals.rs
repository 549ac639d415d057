//! The meal library: create, change and delete meals (with the ownership of every meal type they
//! name checked), the pickers' list, and CSV import and export in one format.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use mealframe_core::{
    csv_meals::{self, CsvMeal, Parsed},
    ids::{MealId, MealTypeId, UserId},
    planning::macros::Macros,
};
use mealframe_store::Result as StoreResult;
use mealframe_store::accounts::users::User;
use mealframe_store::library::{
    meal_types,
    meals::{self, Meal, MealChange, NewMeal, Source},
};

use super::{AppError, AppResult, Write};
use crate::state::AppState;

fn meal_not_found() -> AppError {
    AppError::NotFound("Meal not found".into())
}

/// The meals the pages' pickers offer (Today's sheets, the Week page's reassign): the user's
/// library by name, at most 500.
pub async fn picker_meals(c: &mut dbkit::Conn<'_>, user: UserId) -> StoreResult<Vec<Meal>> {
    let (library, _) = meals::list(
        c,
        user,
        &meals::Filter::default(),
        meals::Order::Name,
        1,
        500,
    )
    .await?;
    Ok(library)
}

/// A page of the user's meals matching `filter` (1-based `page`), and how many match in all.
/// Without search text (the first pages, filters by type or source) it is served from the view
/// cache while the user's library version holds (marks leave it alone); searches are read each
/// time (each keystroke would be an entry of its own).
pub async fn list(
    state: &AppState,
    user: &User,
    filter: &meals::Filter<'_>,
    order: meals::Order,
    page: u32,
    page_size: u32,
) -> AppResult<Arc<(Vec<Meal>, i64)>> {
    let read = || async {
        let mut r = state.db.reader().await?;
        let found = meals::list(&mut r.conn(), user.id, filter, order, page, page_size).await?;
        Ok(Arc::new(found))
    };
    if filter.search.is_some() {
        return read().await;
    }
    let order_key = match order {
        meals::Order::Name => "name",
        meals::Order::Newest => "newest",
        meals::Order::CaloriesAsc => "calories_asc",
        meals::Order::CaloriesDesc => "calories_desc",
    };
    let key = (
        user.id,
        filter.meal_type.map(|t| t.uuid()),
        filter.source.map(str::to_owned),
        order_key,
        page,
        page_size,
    );
    state
        .views
        .meal_pages
        .get_or_try(key, Some(user.library_version), read)
        .await
}

pub async fn get(state: &AppState, user: UserId, id: MealId) -> AppResult<Meal> {
    let mut r = state.db.reader().await?;
    meals::get(&mut r.conn(), user, id)
        .await?
        .ok_or_else(meal_not_found)
}

/// Every meal type id must be the user's (the error names the first that is not).
pub async fn check_types(
    c: &mut dbkit::Conn<'_>,
    user: UserId,
    ids: &[MealTypeId],
) -> AppResult<()> {
    let mine: HashSet<MealTypeId> = meal_types::names(c, user)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    match ids.iter().find(|t| !mine.contains(t)) {
        Some(t) => Err(AppError::NotFound(
            format!("Meal type with id {t} not found").into(),
        )),
        None => Ok(()),
    }
}

/// Add a meal to the library.
pub async fn create(state: &AppState, w: &Write, new: &NewMeal) -> AppResult<Meal> {
    let mut tx = state.begin_for(w).await?;
    check_types(&mut tx.conn(), w.user, &new.meal_types).await?;
    let id = meals::insert(&mut tx.conn(), w.user, new, state.now()).await?;
    let meal = meals::get(&mut tx.conn(), w.user, id)
        .await?
        .ok_or_else(meal_not_found)?;
    tx.commit().await?;
    Ok(meal)
}

/// Values a change empties (the web form's cleared fields; the JSON API reads `null` as
/// "unchanged" and never empties).
#[derive(Debug, Default)]
pub struct Emptied {
    /// API field names of nutrients (`protein_g`, …, `calories_kcal`).
    pub nutrients: Vec<&'static str>,
    pub notes: bool,
}

/// Change a meal: the given fields, and empty the `emptied` ones.
pub async fn update(
    state: &AppState,
    w: &Write,
    id: MealId,
    change: &MealChange,
    emptied: &Emptied,
) -> AppResult<Meal> {
    let mut tx = state.begin_for(w).await?;
    if !meals::exists(&mut tx.conn(), w.user, id).await? {
        return Err(meal_not_found());
    }
    if let Some(types) = &change.meal_types {
        check_types(&mut tx.conn(), w.user, types).await?;
    }
    meals::update(&mut tx.conn(), w.user, id, change, state.now()).await?;
    if !emptied.nutrients.is_empty() || emptied.notes {
        meals::clear_fields(
            &mut tx.conn(),
            w.user,
            id,
            &emptied.nutrients,
            emptied.notes,
        )
        .await?;
    }
    let meal = meals::get(&mut tx.conn(), w.user, id)
        .await?
        .ok_or_else(meal_not_found)?;
    tx.commit().await?;
    Ok(meal)
}

/// Remove a meal from the library (its past slots keep their history).
pub async fn delete(state: &AppState, w: &Write, id: MealId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    let photo = meals::get(&mut tx.conn(), w.user, id)
        .await?
        .and_then(|m| m.photo_key);
    if !meals::delete(&mut tx.conn(), w.user, id).await? {
        return Err(meal_not_found());
    }
    tx.commit().await?;
    // The photo goes with its meal (once the meal is surely gone).
    state.photos.delete_all(photo.as_slice()).await;
    Ok(())
}

/// A message about one row of an imported file (row 0: the file itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMessage {
    pub row: usize,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub success: bool,
    pub total_rows: usize,
    pub created: usize,
    pub created_meal_types: Vec<String>,
    pub warnings: Vec<RowMessage>,
    pub errors: Vec<RowMessage>,
}

/// Import a decoded CSV file in one transaction: meal types it names are created as needed;
/// rows that cannot be read are reported and skipped.
pub async fn import_csv(state: &AppState, w: &Write, text: &str) -> AppResult<Imported> {
    let (total_rows, rows, errors) = match csv_meals::parse(text) {
        Parsed::MissingColumns(cols) => {
            return Ok(Imported {
                errors: vec![RowMessage {
                    row: 0,
                    message: format!("Missing required columns: {}", cols.join(", ")),
                }],
                ..Imported::default()
            });
        }
        Parsed::Rows {
            total_rows,
            meals,
            errors,
        } => (total_rows, meals, errors),
    };
    let now = state.now();
    let user = w.user;
    let mut tx = state.begin_for(w).await?;
    let mut known: HashMap<String, MealTypeId> = meal_types::names(&mut tx.conn(), user)
        .await?
        .into_iter()
        .map(|(id, n)| (n, id))
        .collect();
    let mut warnings = Vec::new();
    let mut created_types = Vec::new();
    for row in &rows {
        warnings.extend(row.warnings.iter().map(|w| RowMessage {
            row: row.row,
            message: w.clone(),
        }));
        let mut ids = Vec::new();
        for name in &row.meal_types {
            if let Some(id) = known.get(name) {
                ids.push(*id);
                continue;
            }
            if name.chars().count() > csv_meals::MAX_NAME {
                warnings.push(RowMessage {
                    row: row.row,
                    message: format!(
                        "Meal type name longer than {} characters ignored",
                        csv_meals::MAX_NAME
                    ),
                });
                continue;
            }
            let t = meal_types::insert(&mut tx.conn(), user, name, None, &[], now).await?;
            known.insert(name.clone(), t.id);
            ids.push(t.id);
            created_types.push(name.clone());
            warnings.push(RowMessage {
                row: row.row,
                message: format!("Created new meal type: '{name}'"),
            });
        }
        meals::insert(&mut tx.conn(), user, &new_meal(row, ids), now).await?;
    }
    tx.commit().await?;
    Ok(Imported {
        success: true,
        total_rows,
        created: rows.len(),
        created_meal_types: created_types,
        warnings,
        errors: errors
            .into_iter()
            .map(|e| RowMessage {
                row: e.row,
                message: e.message,
            })
            .collect(),
    })
}

fn new_meal(row: &CsvMeal, meal_types: Vec<MealTypeId>) -> NewMeal {
    let [protein, carbs, sugar, fat, saturated_fat, fiber] = row.nutrients;
    NewMeal {
        name: row.name.clone(),
        portion_description: row.portion_description.clone(),
        macros: Macros {
            calories_kcal: row.calories_kcal,
            protein,
            carbs,
            sugar,
            fat,
            saturated_fat,
            fiber,
        },
        notes: row.notes.clone(),
        source: Source::Manual,
        confidence_pct: None,
        image_path: None,
        ai_model_version: None,
        meal_types,
    }
}

/// The user's meals as CSV, in the import format (so the file imports back).
pub async fn export_csv(state: &AppState, user: UserId) -> AppResult<String> {
    let mut r = state.db.reader().await?;
    let all = meals::all(&mut r.conn(), user).await?;
    let rows: Vec<CsvMeal> = all
        .iter()
        .map(|m| CsvMeal {
            name: m.name.clone(),
            portion_description: m.portion_description.clone(),
            calories_kcal: m.macros.calories_kcal,
            nutrients: [
                m.macros.protein,
                m.macros.carbs,
                m.macros.sugar,
                m.macros.fat,
                m.macros.saturated_fat,
                m.macros.fiber,
            ],
            notes: m.notes.clone(),
            meal_types: m.meal_types.iter().map(|t| t.name.clone()).collect(),
            ..CsvMeal::default()
        })
        .collect();
    Ok(csv_meals::write(&rows))
}
