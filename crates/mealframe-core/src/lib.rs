//! mealframe-core: the rules and value types of MealFrame, with no IO.
//!
//! Everything here is a pure function or a parsed value, so it is fast to test and can be used
//! by the store, the JSON API and the web pages alike. Values are parsed once at the edge
//! ("parse, don't validate"): an [`email::Email`] is always a plausible address, a
//! [`tenths::Tenths`] is always a non-negative macro value in range, a [`tz::TimeZoneName`] always
//! names a real IANA zone.

pub mod capture;
pub mod csv_meals;
pub mod email;
pub mod grocery;
pub mod ids;
pub mod meal_time;
pub mod password;
pub mod planning;
pub mod pricing;
pub mod tenths;
pub mod tz;
