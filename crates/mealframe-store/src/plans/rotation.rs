//! Loading and saving round-robin state.

use std::collections::HashMap;

use dbkit::{Conn, Timestamp, execute, fetch_all};
use mealframe_core::{
    ids::{MealId, MealTypeId, UserId},
    planning::round_robin::Rotation,
};
use uuid::Uuid;

use crate::Result;

/// The user's rotation: per meal type, the manual meals in `(created_at, id)` order, and the state.
pub async fn load(c: &mut Conn<'_>, user: UserId) -> Result<Rotation> {
    let rows = fetch_all!(
        c.reborrow(),
        (Uuid, Uuid),
        "SELECT mm.meal_type_id, m.id FROM meal_meal_types mm
         JOIN meals m ON m.id = mm.meal_id JOIN meal_types t ON t.id = mm.meal_type_id
         WHERE m.user_id = $1 AND t.user_id = $1 AND m.source = 'manual'
         ORDER BY mm.meal_type_id, m.created_at, m.id",
        user.uuid()
    )?;
    let mut candidates: HashMap<MealTypeId, Vec<MealId>> = HashMap::new();
    for (t, m) in rows {
        candidates.entry(MealTypeId(t)).or_default().push(MealId(m));
    }
    let states = fetch_all!(
        c,
        (Uuid, Option<Uuid>),
        "SELECT meal_type_id, last_meal_id FROM round_robin_states WHERE user_id = $1",
        user.uuid()
    )?;
    let last = states
        .into_iter()
        .map(|(t, m)| (MealTypeId(t), m.map(MealId)))
        .collect();
    Ok(Rotation::new(candidates, last))
}

/// Persist the state of every meal type the rotation picked from.
pub async fn save(
    c: &mut Conn<'_>,
    user: UserId,
    rotation: &Rotation,
    now: Timestamp,
) -> Result<()> {
    for (meal_type, meal) in rotation.changed_states() {
        execute!(
            c.reborrow(),
            "INSERT INTO round_robin_states (user_id, meal_type_id, last_meal_id, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, meal_type_id) DO UPDATE SET last_meal_id = excluded.last_meal_id, updated_at = excluded.updated_at",
            user.uuid(),
            meal_type.uuid(),
            meal.uuid(),
            now
        )?;
    }
    Ok(())
}

/// Forget a meal type's state (the next pick starts at its first meal).
pub async fn reset(c: &mut Conn<'_>, user: UserId, meal_type: MealTypeId) -> Result<()> {
    execute!(
        c,
        "DELETE FROM round_robin_states WHERE user_id = $1 AND meal_type_id = $2",
        user.uuid(),
        meal_type.uuid()
    )?;
    Ok(())
}
