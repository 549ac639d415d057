//! Use cases: one function per thing a user does, shared by both front doors (`api/` answers
//! JSON, `web/` renders pages; neither imports the other). A use case takes the signed-in user
//! (or, for a write, a [`Write`]) and parsed input, owns its transaction, the ownership checks
//! and the caches, calls the store (SQL, always scoped by user) and the pure rules of
//! `mealframe-core`, and returns domain values or an [`AppError`] — never wire or page types.
//!
//! Account flows (register, sign-in, tokens, passwords) are use cases too and live in
//! `crate::accounts`.

pub mod analytics;
pub mod cache;
pub mod calendar;
pub mod capture;
pub mod capture_queue;
pub mod day_plan;
pub mod error;
pub mod export;
pub mod grocery;
pub mod idempotency;
pub mod library;
pub mod limits;
pub mod meal_photos;
pub mod meals;
pub mod planning;
pub mod reminders;
pub mod starter;
pub mod stats;
pub mod today;
pub mod week;
pub mod write;

pub use error::{AppError, AppResult};
pub use write::Write;
