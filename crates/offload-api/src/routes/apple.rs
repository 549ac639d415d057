//! `POST /v1/auth/apple`: exchange an Apple identity token for a session carrying a `user_id`.
//! Order: 422 → 401 `invalid_apple_token` → 200. Not rate limited, no consent needed.

use axum::{
    Json,
    extract::{Request, State},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::ApiError,
    http::body,
    model::{ids::InstallId, text},
    state::AppState,
    store::users,
};

/// Unknown keys are ignored.
#[derive(Deserialize, ToSchema)]
pub struct AppleAuthRequest {
    /// The raw identity JWT from Sign in with Apple.
    #[schema(min_length = 1)]
    pub apple_identity_token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub install_id: String,
    /// At most 128 characters; omitted when unknown.
    #[serde(default)]
    #[schema(max_length = 128)]
    pub display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AppleAuthResponse {
    pub session_token: String,
    pub expires_at: String,
    pub user_id: String,
}

#[utoipa::path(post, path = "/v1/auth/apple", tag = "sessions",
    request_body = AppleAuthRequest,
    responses(
        (status = 200, body = AppleAuthResponse),
        (status = 401, description = "invalid_apple_token", body = super::ErrorEnvelope),
        (status = 413, description = "request_too_large (body bytes)", body = super::ErrorEnvelope),
        (status = 422, description = "validation_error", body = super::ErrorEnvelope),
        (status = 500, description = "internal_error", body = super::ErrorEnvelope),
        (status = 503, description = "service_unavailable: the database is out of reach (with Retry-After)", body = super::ErrorEnvelope),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<AppleAuthResponse>, ApiError> {
    let (parts, raw) = req.into_parts();
    let cfg = &state.config;
    let raw = body::read(&parts.headers, raw, cfg.max_body_bytes, cfg.max_input_chars).await?;
    let request: AppleAuthRequest = raw.parse()?;
    let install_id = InstallId::parse(&request.install_id).ok_or(ApiError::Validation)?;
    if request.apple_identity_token.is_empty()
        || request
            .display_name
            .as_deref()
            .is_some_and(|n| text::chars(n) > 128 || !text::storable(n))
    {
        return Err(ApiError::Validation);
    }
    let apple_sub = state
        .apple
        .verify(&request.apple_identity_token)
        .await
        .ok_or(ApiError::InvalidAppleToken)?;
    let user_id = users::upsert_apple_user(
        &state.db,
        &apple_sub,
        install_id.as_str(),
        request.display_name.as_deref(),
    )
    .await?;
    let (session_token, expires_at) =
        super::sessions::issue(&state, install_id.as_str(), Some(&user_id));
    Ok(Json(AppleAuthResponse {
        session_token,
        expires_at,
        user_id,
    }))
}
