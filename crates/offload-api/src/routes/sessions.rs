//! `POST /v1/sessions/anonymous`: a session token for an install id. Order: 422 → 429 → 200.

use axum::{
    Json,
    extract::{Request, State},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::ApiError,
    http::{
        body,
        limits::{self, Admission, Limiter, Then},
    },
    model::{ids::InstallId, text},
    state::AppState,
};

/// Unknown keys are ignored.
#[derive(Deserialize, ToSchema)]
pub struct SessionRequest {
    /// 8–128 characters (the app sends its vendor UUID).
    #[schema(min_length = 8, max_length = 128)]
    pub install_id: String,
    /// 1–32 characters; accepted, unused.
    #[schema(min_length = 1, max_length = 32)]
    pub app_version: String,
    /// 1–32 characters; accepted, unused.
    #[schema(min_length = 1, max_length = 32)]
    pub platform: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    pub session_token: String,
    /// Whole-second RFC 3339 UTC, e.g. `2026-02-16T13:00:00Z`.
    pub expires_at: String,
}

/// Issue a token for `install_id` (plus `user_id` for Apple sessions) and format its expiry.
pub fn issue(state: &AppState, install_id: &str, user_id: Option<&str>) -> (String, String) {
    let now = state.clock.now().unix_timestamp();
    let issued = state.tokens.issue(install_id, user_id, now);
    let expires = time::OffsetDateTime::from_unix_timestamp(issued.expires_at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (issued.token, platform::timefmt::rfc3339_seconds(expires))
}

#[utoipa::path(post, path = "/v1/sessions/anonymous", tag = "sessions",
    request_body = SessionRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 413, description = "request_too_large (body bytes)", body = super::ErrorEnvelope),
        (status = 422, description = "validation_error", body = super::ErrorEnvelope),
        (status = 429, description = "session_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
        (status = 500, description = "internal_error", body = super::ErrorEnvelope),
        (status = 503, description = "service_unavailable: the database is out of reach (with Retry-After)", body = super::ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<SessionResponse>, ApiError> {
    let (parts, raw) = req.into_parts();
    let cfg = &state.config;
    let raw = body::read(&parts.headers, raw, cfg.max_body_bytes, cfg.max_input_chars).await?;
    let request: SessionRequest = raw.parse()?;
    let install_id = InstallId::parse(&request.install_id).ok_or(ApiError::Validation)?;
    if !text::within(&request.app_version, 1, 32) || !text::within(&request.platform, 1, 32) {
        return Err(ApiError::Validation);
    }
    let ip = limits::client_ip(&state, &parts.extensions, &parts.headers);
    let admission =
        limits::admit(&state, Limiter::Sessions, ip, &install_id, Then::Nothing).await?;
    if let Admission::Throttled(t) = admission {
        tracing::info!(
            dimension = t.dimension,
            retry_after_seconds = t.retry_after,
            install_id_hash = %install_id.log_hash(),
            "session_issuance_throttled"
        );
        return Err(ApiError::SessionRateLimited {
            retry_after: t.retry_after,
        });
    }
    let (session_token, expires_at) = issue(&state, install_id.as_str(), None);
    Ok(Json(SessionResponse {
        session_token,
        expires_at,
    }))
}
