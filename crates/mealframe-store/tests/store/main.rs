//! Store conformance: every public repository function of `mealframe-store`, on SQLite and on
//! PostgreSQL, with the same tests (see `README.md` next to this file).
//!
//! What it pins, per function: the happy path; for everything that reads or writes a user's data,
//! that another user's ids behave like unknown ones (not found, no rows changed,
//! `Rejection::…NotFound`); the classification of broken integrity rules
//! (`StoreError::Integrity(Unique | ForeignKey | Check)`) identically on both engines; and that
//! the data-version triggers of migration 0003 move the version of the user whose plan data
//! changed, and no one else's. `coverage` checks that every `pub async fn` in `src/` is called
//! here.
//!
//! Run on SQLite: `cargo test -p mealframe-store --test store`.
//! Run on PostgreSQL (a fresh database per test on that server):
//! `TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres cargo test -p mealframe-store --test store`.

mod accounts;
mod ai_usage;
mod calendar;
mod capture_jobs;
mod coverage;
mod data_version;
mod grocery;
mod library;
mod plans;
mod reminders;
mod support;
