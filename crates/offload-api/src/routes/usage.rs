//! `POST /v1/usage/reconcile`: merge the app's local count into the server's (highest wins).
//! Order: JSON syntax → 401 → 422 → 403 `install_id_mismatch` → 429 `reconcile_rate_limited`
//! → 422 `too_many_features` → 200.
//!
//! The original let one session grow the table without bound (any 1–64-character name, no rate
//! limit). Here reconcile has its own limiter (per address, then per install id) and an install
//! may name at most `OFFLOAD_MAX_FEATURES_PER_INSTALL` distinct features per period; the five
//! keys the app uses are always accepted.

use axum::{
    Json,
    extract::{Request, State},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::bearer,
    error::ApiError,
    http::{
        body::{self, lax},
        limits::{self, Admission, Limiter, Then},
    },
    model::ids::{FeatureName, InstallId},
    state::AppState,
    store::usage::Period,
};

/// The largest `local_count` accepted (the original crashed with a 500 beyond 2^63).
pub const MAX_LOCAL_COUNT: i64 = i32::MAX as i64;

/// Unknown keys are ignored.
#[derive(Deserialize, ToSchema)]
pub struct ReconcileRequest {
    /// Must be the session's install id (403 `install_id_mismatch` otherwise).
    #[schema(min_length = 8, max_length = 128)]
    pub install_id: String,
    /// 1–64 characters, any name; at most `OFFLOAD_MAX_FEATURES_PER_INSTALL` (32) distinct
    /// names per install besides the five known features (422 `too_many_features`).
    #[schema(min_length = 1, max_length = 64)]
    pub feature: String,
    /// 0 ≤ n ≤ 2³¹−1.
    #[serde(deserialize_with = "lax::int")]
    #[schema(value_type = i64, minimum = 0, maximum = 2_147_483_647)]
    pub local_count: i64,
    /// ISO 8601; accepted and ignored.
    #[serde(default)]
    pub since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReconcileResponse {
    pub server_count: i64,
    /// `max(0, quota − server_count)` for this feature.
    pub effective_remaining: i64,
    /// Whole-second RFC 3339 UTC.
    pub reconciled_at: String,
}

fn is_iso_datetime(s: &str) -> bool {
    use time::format_description::well_known::Iso8601;
    time::OffsetDateTime::parse(s, &Iso8601::DEFAULT).is_ok()
        || time::PrimitiveDateTime::parse(s, &Iso8601::DEFAULT).is_ok()
        || time::Date::parse(s, &Iso8601::DEFAULT).is_ok()
}

#[utoipa::path(post, path = "/v1/usage/reconcile", tag = "usage",
    request_body = ReconcileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ReconcileResponse),
        (status = 401, description = "unauthorized, invalid_token, expired_token", body = super::ErrorEnvelope),
        (status = 403, description = "install_id_mismatch", body = super::ErrorEnvelope),
        (status = 413, description = "request_too_large (body bytes)", body = super::ErrorEnvelope),
        (status = 422, description = "validation_error, too_many_features", body = super::ErrorEnvelope),
        (status = 429, description = "reconcile_rate_limited (with Retry-After)", body = super::ErrorEnvelope),
        (status = 500, description = "internal_error", body = super::ErrorEnvelope),
        (status = 503, description = "service_unavailable: the database is out of reach (with Retry-After)", body = super::ErrorEnvelope),
    ))]
pub async fn reconcile(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<ReconcileResponse>, ApiError> {
    let (parts, raw) = req.into_parts();
    let cfg = &state.config;
    let raw = body::read(&parts.headers, raw, cfg.max_body_bytes, cfg.max_input_chars).await?;
    let session = bearer::authenticate(&state, &parts.headers)?;
    let request: ReconcileRequest = raw.parse()?;
    let install_id = InstallId::parse(&request.install_id).ok_or(ApiError::Validation)?;
    let feature = FeatureName::parse(&request.feature).ok_or(ApiError::Validation)?;
    if !(0..=MAX_LOCAL_COUNT).contains(&request.local_count)
        || request
            .since
            .as_deref()
            .is_some_and(|s| !is_iso_datetime(s))
    {
        return Err(ApiError::Validation);
    }
    if install_id != session.install_id {
        return Err(ApiError::InstallIdMismatch);
    }
    let ip = limits::client_ip(&state, &parts.extensions, &parts.headers);
    let now = state.clock.now();
    let then = Then::Reconcile {
        period: Period::at(cfg.quota_period, now),
        feature,
        local_count: request.local_count,
        max_features: cfg.max_features_per_install,
    };
    let server_count =
        match limits::admit(&state, Limiter::Reconcile, ip, &install_id, then).await? {
            Admission::Reconciled(n) => n,
            Admission::TooManyFeatures => return Err(ApiError::TooManyFeatures),
            Admission::Throttled(t) => {
                tracing::info!(
                    dimension = t.dimension,
                    retry_after_seconds = t.retry_after,
                    install_id_hash = %install_id.log_hash(),
                    "reconcile_throttled"
                );
                return Err(ApiError::ReconcileRateLimited {
                    retry_after: t.retry_after,
                });
            }
            other => {
                tracing::error!(?other, "reconcile_unexpected_admission");
                return Err(ApiError::Internal("admission"));
            }
        };
    Ok(Json(ReconcileResponse {
        server_count,
        effective_remaining: (i64::from(cfg.quota) - server_count).max(0),
        reconciled_at: platform::timefmt::rfc3339_seconds(now),
    }))
}

#[cfg(test)]
mod tests {
    use super::is_iso_datetime;

    #[test]
    fn since_accepts_iso_8601_forms() {
        assert!(is_iso_datetime("2026-02-16T12:00:00Z"));
        assert!(is_iso_datetime("2026-02-16T12:00:00.123+01:00"));
        assert!(is_iso_datetime("2026-02-16T12:00:00"));
        assert!(is_iso_datetime("2026-02-16"));
        assert!(!is_iso_datetime("yesterday"));
    }
}
