//! Offload API: the privacy-first AI gateway of the Offload iOS app (ADR-0008), wire-compatible
//! with the original Python backend (`shared/spec/offload-api.md`) and its deliberate fixes.
//!
//! * [`config`] — `OFFLOAD_*` settings and their validation (secret policy).
//! * [`auth`] — session tokens v2, bearer header, Sign in with Apple.
//! * [`http`] — body rules, error envelope, fallbacks, consent, rate limits.
//! * [`ai`] — the five operations: request rules, prompts, output shaping.
//! * [`store`] — usage counters and quota, users (SQLite or PostgreSQL via dbkit).
//! * [`routes`] — the handlers; [`app`] — the router.
//! * [`operator`] — what `offload-api usage show | reset | top` prints.
//!
//! Privacy by construction: request bodies and model outputs live only in memory for the length
//! of a request; logs, metrics, errors and the database carry ids, counts, classes and timings.

pub mod ai;
pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod http;
pub mod model;
pub mod openapi;
pub mod operator;
pub mod routes;
pub mod state;
pub mod store;

use std::sync::Arc;

use platform::clock::SystemClock;

pub use app::router;
pub use config::{Config, Settings};
pub use state::AppState;

/// Open (and migrate) the configured database.
pub async fn open_db(config: &Config) -> Result<dbkit::Db, dbkit::DbError> {
    dbkit::Db::connect(
        &config.database_url,
        store::migrations(),
        &dbkit::DbOptions {
            acquire_timeout: config.db_acquire_timeout,
            ..dbkit::DbOptions::default()
        },
    )
    .await
}

/// Open (and migrate) the configured database and build the application state.
pub async fn connect(config: Config) -> Result<AppState, dbkit::DbError> {
    let db = open_db(&config).await?;
    Ok(AppState::new(config, db, Arc::new(SystemClock)))
}
