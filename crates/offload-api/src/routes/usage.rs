//! `POST /v1/usage/reconcile`: merge the app's local count into the server's (highest wins).
//! Order: JSON syntax → 401 → 422 → 403 `install_id_mismatch` → 200.

use axum::{
    Json,
    extract::{Request, State},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    auth::bearer,
    error::ApiError,
    http::body::{self, lax},
    model::ids::{FeatureName, InstallId},
    state::AppState,
    store::usage::{self, Period},
};

/// The largest `local_count` accepted (the original crashed with a 500 beyond 2^63).
pub const MAX_LOCAL_COUNT: i64 = i32::MAX as i64;

/// Unknown keys are ignored.
#[derive(Deserialize, ToSchema)]
pub struct ReconcileRequest {
    pub install_id: String,
    /// 1–64 characters, any name.
    pub feature: String,
    /// 0 ≤ n ≤ 2³¹−1.
    #[serde(deserialize_with = "lax::int")]
    #[schema(value_type = i64)]
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
        (status = 422, description = "validation_error", body = super::ErrorEnvelope),
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
    let now = state.clock.now();
    let period = Period::at(cfg.quota_period, now);
    let server_count = usage::reconcile(
        &state.db,
        &install_id,
        &period,
        &feature,
        request.local_count,
    )
    .await?;
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
