//! Liveness, readiness and metrics.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct RootResponse {
    pub status: &'static str,
    pub message: &'static str,
}

/// `{"status": "ok", "message": "MealFrame API"}` — for API clients. Browsers (`Accept:
/// text/html`) get the web app's Today page here instead.
// (Browsers are routed to the page before they reach this handler: `crate::router`.)
#[utoipa::path(get, path = "/", tag = "health", responses((status = 200, body = RootResponse)))]
pub async fn root() -> Json<RootResponse> {
    Json(RootResponse {
        status: "ok",
        message: "MealFrame API",
    })
}

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: &'static str,
    pub version: String,
    pub service: &'static str,
}

/// Liveness: the process answers (no dependency is checked; see `/ready`).
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = HealthResponse)))]
pub async fn health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "healthy",
        version: state.config.api_version.clone(),
        service: "mealframe-api",
    })
}

#[derive(Serialize, ToSchema)]
pub struct ReadyResponse {
    /// `"ready"` or `"unavailable"`.
    pub status: &'static str,
    /// `"sqlite"` or `"postgres"`.
    pub database: &'static str,
}

/// Readiness: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/ready", tag = "health",
    responses((status = 200, body = ReadyResponse), (status = 503, body = ReadyResponse)))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let database = match state.db.engine() {
        dbkit::Engine::Sqlite => "sqlite",
        dbkit::Engine::Postgres => "postgres",
    };
    match tokio::time::timeout(std::time::Duration::from_secs(1), state.db.ping()).await {
        Ok(Ok(())) => Json(ReadyResponse {
            status: "ready",
            database,
        })
        .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ReadyResponse {
                status: "unavailable",
                database,
            }),
        )
            .into_response(),
    }
}

/// Prometheus exposition: request counts and latency histograms by route template and status.
/// Requires `Authorization: Bearer $MEALFRAME_METRICS_TOKEN` when that is set.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"), (status = 401)))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| subtle_eq(g.as_bytes(), token.as_bytes()));
        if !ok {
            return (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"detail": "Not authenticated"})),
            )
                .into_response();
        }
    }
    let body = platform::observe::metrics_handle().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
