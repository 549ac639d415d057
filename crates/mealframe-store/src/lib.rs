//! mealframe-store: every SQL statement MealFrame runs, over dbkit's two engines.
//!
//! Functions take a `&mut dbkit::Conn` (from a write transaction `db.begin()` or a reader
//! `db.reader()`), so the caller decides the transaction boundary: every HTTP mutation is one
//! transaction. Every query is scoped to the calling user — another user's id behaves exactly
//! like an unknown id. The same SQL text runs on SQLite and PostgreSQL; the conformance tests in
//! `tests/` run against both.

pub mod accounts;
pub mod ai_usage;
pub mod capture_jobs;
mod error;
pub mod library;
pub mod plans;
mod sql;

pub use error::{Rejection, StoreError};

use dbkit::Migrations;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// MealFrame's migrations for both engines (same version numbers in both folders).
pub const MIGRATIONS: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn both_engines_have_the_same_migration_versions() {
        let versions =
            |m: &sqlx::migrate::Migrator| m.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(versions(&super::SQLITE), versions(&super::POSTGRES));
        assert!(!versions(&super::SQLITE).is_empty());
    }
}
