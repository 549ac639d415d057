//! Persistence over dbkit: usage counters and quota, Apple users. Same SQL on both engines.
//! Every function answers [`StoreError`] (mapped to HTTP in `crate::error`), never a raw
//! `sqlx::Error`.

mod error;
pub mod group_commit;
mod quota_many;
pub mod tokens;
pub mod usage;
pub mod users;

pub use error::StoreError;

use dbkit::Migrations;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// This service's migrations for both engines.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: &SQLITE,
        postgres: &POSTGRES,
    }
}
