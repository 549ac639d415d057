//! Typed ids: a meal id cannot be passed where a slot id is expected.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                $name(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// A meal type ("Breakfast", "Pre-Workout Snack").
    MealTypeId
);
id_type!(
    /// A meal of the library.
    MealId
);
id_type!(
    /// A day template (ordered meal-type slots).
    DayTemplateId
);
id_type!(
    /// A week plan (weekday → day template).
    WeekPlanId
);
id_type!(
    /// A generated week (one per user and Monday).
    WeekId
);
id_type!(
    /// A day of a generated week.
    DayId
);
id_type!(
    /// One planned eating occasion of a generated day.
    SlotId
);
id_type!(
    /// A stored grocery list (one shopping trip: check-offs, removals, extras).
    GroceryListId
);
id_type!(
    /// An item added to a grocery list by hand.
    GroceryExtraId
);
