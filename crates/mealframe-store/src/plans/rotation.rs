//! Loading and saving round-robin state.

use std::collections::HashMap;

use dbkit::{Conn, Timestamp, execute, fetch_all, on_conn};
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

/// Persist the state of every meal type the rotation picked from, in one statement (a week
/// touches four or so meal types; one upsert each cost a round trip each under the user's lock).
pub async fn save(
    c: &mut Conn<'_>,
    user: UserId,
    rotation: &Rotation,
    now: Timestamp,
) -> Result<()> {
    let changed = rotation.changed_states();
    if changed.is_empty() {
        return Ok(());
    }
    // $1 the user, $2 the time, then a meal type and its last meal per row.
    let rows = (0..changed.len())
        .map(|r| format!("($1, ${}, ${}, $2)", r * 2 + 3, r * 2 + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "INSERT INTO round_robin_states (user_id, meal_type_id, last_meal_id, updated_at) VALUES {rows}
         ON CONFLICT (user_id, meal_type_id) DO UPDATE SET last_meal_id = excluded.last_meal_id, updated_at = excluded.updated_at"
    );
    on_conn!(c, |e| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(text))
            .bind(user.uuid())
            .bind(now);
        for (meal_type, meal) in &changed {
            q = q.bind(meal_type.uuid()).bind(meal.uuid());
        }
        q.execute(e).await.map(|_| ())
    })?;
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
