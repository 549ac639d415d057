//! `GET /v1/health`: liveness and build metadata (no dependency checks, as in the original), and
//! `GET /v1/ready`: readiness for a load balancer — 200 only while the database answers.

use std::time::Duration;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// How long readiness waits for the database before it says "unavailable".
pub const READY_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub service: &'static str,
    pub version: String,
    pub environment: String,
}

#[utoipa::path(get, path = "/v1/health", tag = "health",
    responses((status = 200, description = "The service is up", body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        service: "offload-backend-api",
        version: state.config.build_version.clone(),
        environment: state.config.environment.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `"ready"` or `"unavailable"`.
    pub status: &'static str,
    /// `"sqlite"` or `"postgres"`.
    pub database: &'static str,
}

/// Readiness: the database answered `SELECT 1` within a second (200), or it did not (503), so a
/// load balancer stops sending requests that would only wait and fail.
#[utoipa::path(get, path = "/v1/ready", tag = "health",
    responses((status = 200, description = "The database answers", body = Ready),
              (status = 503, description = "The database does not answer", body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let database = match state.db.engine() {
        dbkit::Engine::Sqlite => "sqlite",
        dbkit::Engine::Postgres => "postgres",
    };
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Json(Ready {
            status: "ready",
            database,
        })
        .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Ready {
                status: "unavailable",
                database,
            }),
        )
            .into_response(),
    }
}
