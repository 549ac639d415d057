//! `GET /v1/health`: liveness and build metadata (no dependency checks, as in the original).

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

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
