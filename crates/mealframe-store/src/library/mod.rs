//! The user's library: meal types, meals, day templates and week plans.

pub mod day_templates;
pub mod meal_types;
pub mod meals;
pub mod week_plans;

use mealframe_core::ids::MealTypeId;
use uuid::Uuid;

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
