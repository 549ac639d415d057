//! The user's library: meal types, meals, day templates and week plans.

pub mod day_templates;
pub mod meal_types;
pub mod meals;
pub mod week_plans;

use dbkit::{Conn, fetch_one};
use mealframe_core::ids::{MealTypeId, UserId};
use uuid::Uuid;

use crate::Result;

/// How far a user's setup has come (the first-run checklist).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetupProgress {
    pub meal_types: i64,
    pub meals: i64,
    pub templates: i64,
    pub default_plan: bool,
    pub weeks: i64,
}

pub async fn progress(c: &mut Conn<'_>, user: UserId) -> Result<SetupProgress> {
    let (meal_types, meals, templates, defaults, weeks) = fetch_one!(
        c,
        (i64, i64, i64, i64, i64),
        "SELECT (SELECT COUNT(*) FROM meal_types WHERE user_id = $1),
                (SELECT COUNT(*) FROM meals WHERE user_id = $1),
                (SELECT COUNT(*) FROM day_templates WHERE user_id = $1),
                (SELECT COUNT(*) FROM week_plans WHERE user_id = $1 AND is_default = TRUE),
                (SELECT COUNT(*) FROM weekly_plan_instances WHERE user_id = $1)",
        user.uuid()
    )?;
    Ok(SetupProgress {
        meal_types,
        meals,
        templates,
        default_plan: defaults > 0,
        weeks,
    })
}

/// `{id, name}` of a referenced row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedRef<Id> {
    pub id: Id,
    pub name: String,
}

pub type MealTypeRef = NamedRef<MealTypeId>;

impl<Id: From<Uuid>> NamedRef<Id> {
    pub fn new(id: Uuid, name: String) -> Self {
        NamedRef {
            id: Id::from(id),
            name,
        }
    }
}
