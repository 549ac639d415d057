//! The photos of captured meals (issue 12): served to their owner only, removed by the owner,
//! and removed by the retention setting (`MEALFRAME_CAPTURE_RETENTION_DAYS`). A meal's photo
//! also goes when the meal or the account is deleted (`app::meals::delete`,
//! `accounts::delete_account`). The photo store is `crate::photos`.

use mealframe_core::ids::{MealId, UserId};
use mealframe_store::library::meals;

use super::{AppError, AppResult, Write};
use crate::{photos, state::AppState};

fn no_photo() -> AppError {
    AppError::NotFound("This meal has no photo".into())
}

/// The photo of the user's meal and its type.
pub async fn photo(
    state: &AppState,
    user: UserId,
    meal: MealId,
) -> AppResult<(Vec<u8>, &'static str)> {
    let key = {
        let mut r = state.db.reader().await?;
        meals::get(&mut r.conn(), user, meal)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("Meal with id {meal} not found").into()))?
            .photo_key
            .ok_or_else(no_photo)?
    };
    let bytes = state
        .photos
        .get(&key)
        .await
        .map_err(|e| {
            AppError::Unavailable(format!("The photo cannot be read right now ({e})").into())
        })?
        .ok_or_else(no_photo)?;
    Ok((bytes, photos::mime_of(&key)))
}

/// Remove the photo of the user's meal (the meal stays).
pub async fn delete_photo(state: &AppState, w: &Write, meal: MealId) -> AppResult<()> {
    let mut tx = state.begin_for(w).await?;
    let key = meals::get(&mut tx.conn(), w.user, meal)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Meal with id {meal} not found").into()))?
        .photo_key
        .ok_or_else(no_photo)?;
    meals::set_photo(&mut tx.conn(), w.user, meal, None).await?;
    tx.commit().await?;
    state.photos.delete_all(&[key]).await;
    Ok(())
}

/// Remove photos older than the retention setting, a batch at a time; returns how many.
pub async fn purge_expired(state: &AppState) -> AppResult<usize> {
    let Some(keep) = state.config.capture.retention else {
        return Ok(0);
    };
    let cutoff = state
        .now()
        .minus(time::Duration::try_from(keep).unwrap_or(time::Duration::days(36_500)));
    let mut removed = 0;
    loop {
        let batch = {
            let mut r = state.db.reader().await?;
            meals::photos_before(&mut r.conn(), cutoff, 200).await?
        };
        if batch.is_empty() {
            return Ok(removed);
        }
        for (user, meal, key) in batch {
            // Forget it first: a photo the store fails to remove is unreachable, never shown.
            let mut tx = state.begin_for(&Write::by(user)).await?;
            meals::set_photo(&mut tx.conn(), user, meal, None).await?;
            tx.commit().await?;
            state.photos.delete_all(&[key]).await;
            removed += 1;
        }
    }
}
