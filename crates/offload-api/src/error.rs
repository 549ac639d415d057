//! The one place where failures become the wire envelope of spec §1.2–1.3:
//! `{"error": {"code", "message", "request_id"}}`.
//!
//! Handlers return [`ApiError`]. Its `IntoResponse` sets the status (and `Retry-After` on 429s)
//! and attaches a [`WireError`]; the [`crate::http::envelope`] middleware, which knows the request
//! id, writes the body. Messages are fixed strings: nothing a client sent and nothing a model
//! answered ever reaches an error message.
//!
//! Store failures ([`StoreError`]) become HTTP errors here and only here: not found → 404
//! `not_found`, a broken integrity rule → 409 `conflict`, the database unavailable or failing →
//! 500 `internal_error` (as any unhandled error). No route can produce the 404 or 409 today: every
//! lookup answers an `Option` and every write is an upsert.

use std::borrow::Cow;

use ai_providers::{ErrorKind, ProviderError};
use axum::{
    http::{HeaderValue, StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
};

use crate::{auth::token::TokenError, store::StoreError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing bearer token")]
    MissingToken,
    #[error("invalid session token")]
    InvalidToken,
    #[error("session token expired")]
    ExpiredToken,
    #[error("Apple identity token rejected")]
    InvalidAppleToken,
    #[error("cloud consent missing")]
    ConsentRequired,
    #[error("install id mismatch")]
    InstallIdMismatch,
    #[error("request too large")]
    RequestTooLarge { max_chars: usize },
    #[error("request validation failed")]
    Validation,
    #[error("session issuance rate limited")]
    SessionRateLimited { retry_after: u64 },
    #[error("AI inference rate limited")]
    InferenceRateLimited { retry_after: u64 },
    #[error("usage reconcile rate limited")]
    ReconcileRateLimited { retry_after: u64 },
    /// A new feature name on reconcile when the install already has the most allowed.
    #[error("too many distinct usage features")]
    TooManyFeatures,
    #[error("quota exceeded")]
    QuotaExceeded { retry_after: u64 },
    #[error("provider call failed: {0}")]
    Provider(ProviderError),
    /// The store has no row the operation needs.
    #[error("not found")]
    NotFound,
    /// The write broke an integrity rule of the stored data (nothing was written).
    #[error("conflict with stored data")]
    Conflict,
    /// The model answered, but not in the shape the route promises.
    #[error("provider output did not match the response shape")]
    ProviderOutput,
    /// The quota pool is full only of calls still in flight (some may fail and free their
    /// unit): a retryable 503 the app falls back on, not the hard stop of `quota_exceeded`.
    #[error("quota held by calls in flight")]
    QuotaBusy,
    /// The database is out of reach (no connection within the acquire timeout, or refused): a
    /// 503 the app treats as "fall back on-device", with `Retry-After`.
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an infrastructure failure; the detail is logged by class, never sent.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid => ApiError::InvalidToken,
            TokenError::Expired => ApiError::ExpiredToken,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // sqlx errors carry SQL text and engine messages, never bound values.
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(kind) => {
                tracing::warn!(constraint = ?kind, "store conflict");
                ApiError::Conflict
            }
            StoreError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::Internal("database")
            }
        }
    }
}

/// The code and message of an error response, before the request id is added.
#[derive(Debug, Clone)]
pub struct WireError {
    pub code: &'static str,
    pub message: Cow<'static, str>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingToken
            | ApiError::InvalidToken
            | ApiError::ExpiredToken
            | ApiError::InvalidAppleToken => StatusCode::UNAUTHORIZED,
            ApiError::ConsentRequired | ApiError::InstallIdMismatch => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::RequestTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation | ApiError::TooManyFeatures => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::SessionRateLimited { .. }
            | ApiError::InferenceRateLimited { .. }
            | ApiError::ReconcileRateLimited { .. }
            | ApiError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Provider(e) => {
                StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            ApiError::ProviderOutput => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable | ApiError::QuotaBusy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn wire(&self) -> WireError {
        let (code, message): (&'static str, Cow<'static, str>) = match self {
            ApiError::MissingToken => ("unauthorized", "Missing bearer token".into()),
            ApiError::InvalidToken => ("invalid_token", "Invalid session token".into()),
            ApiError::ExpiredToken => ("expired_token", "Session token expired".into()),
            ApiError::InvalidAppleToken => (
                "invalid_apple_token",
                "Apple identity token validation failed".into(),
            ),
            ApiError::ConsentRequired => (
                "consent_required",
                "Cloud AI processing requires explicit opt-in".into(),
            ),
            ApiError::InstallIdMismatch => (
                "install_id_mismatch",
                "Session install_id does not match request install_id".into(),
            ),
            ApiError::NotFound => ("not_found", "Resource not found".into()),
            ApiError::Conflict => ("conflict", "Request conflicts with stored data".into()),
            ApiError::RequestTooLarge { max_chars } => (
                "request_too_large",
                format!("Request content exceeds max size of {max_chars} characters").into(),
            ),
            ApiError::Validation => ("validation_error", "Request validation failed".into()),
            ApiError::SessionRateLimited { .. } => (
                "session_rate_limited",
                "Too many session requests; retry later".into(),
            ),
            ApiError::InferenceRateLimited { .. } => (
                "inference_rate_limited",
                "Too many AI requests; retry later".into(),
            ),
            ApiError::ReconcileRateLimited { .. } => (
                "reconcile_rate_limited",
                "Too many usage requests; retry later".into(),
            ),
            ApiError::TooManyFeatures => (
                "too_many_features",
                "Too many distinct usage features for this install".into(),
            ),
            ApiError::QuotaExceeded { .. } => {
                ("quota_exceeded", "Monthly AI action limit reached.".into())
            }
            ApiError::Provider(e) => match e.kind() {
                ErrorKind::Timeout => ("provider_timeout", "Provider timeout".into()),
                ErrorKind::Unavailable => ("provider_unavailable", "Provider unavailable".into()),
                ErrorKind::RequestFailed => {
                    ("provider_request_failed", "Provider request failed".into())
                }
                ErrorKind::InvalidResponse => (
                    "provider_invalid_response",
                    "Provider returned invalid response".into(),
                ),
            },
            ApiError::ProviderOutput => (
                "provider_invalid_response",
                "Provider returned invalid response".into(),
            ),
            ApiError::QuotaBusy => (
                "quota_busy",
                "Your remaining AI actions are in use by requests still running; retry shortly"
                    .into(),
            ),
            ApiError::Unavailable => (
                "service_unavailable",
                "Service temporarily unavailable; retry later".into(),
            ),
            ApiError::Internal(_) => ("internal_error", "Internal server error".into()),
        };
        WireError { code, message }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::SessionRateLimited { retry_after }
            | ApiError::InferenceRateLimited { retry_after }
            | ApiError::ReconcileRateLimited { retry_after }
            | ApiError::QuotaExceeded { retry_after } => Some((*retry_after).max(1)),
            ApiError::Unavailable | ApiError::QuotaBusy => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }
}

/// Seconds a client is asked to wait after a 503 `service_unavailable`.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 2;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(self.wire());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_map_to_the_catalogue() {
        let cases = [
            (ProviderError::Timeout, 504, "provider_timeout"),
            (ProviderError::NotConfigured, 503, "provider_unavailable"),
            (
                ProviderError::Overloaded { status: 529 },
                503,
                "provider_unavailable",
            ),
            (
                ProviderError::ServerError { status: 500 },
                502,
                "provider_request_failed",
            ),
            (
                ProviderError::Rejected { status: 400 },
                502,
                "provider_request_failed",
            ),
            (ProviderError::RateLimited, 502, "provider_request_failed"),
            (ProviderError::Transport, 502, "provider_request_failed"),
            (
                ProviderError::InvalidResponse,
                502,
                "provider_invalid_response",
            ),
        ];
        for (e, status, code) in cases {
            let api = ApiError::Provider(e);
            assert_eq!(api.status().as_u16(), status);
            assert_eq!(api.wire().code, code);
        }
    }

    #[test]
    fn store_errors_map_to_404_409_503_or_500() {
        use dbkit::ConstraintKind;
        let cases = [
            (StoreError::NotFound, 404, "not_found"),
            (
                StoreError::Conflict(ConstraintKind::Unique),
                409,
                "conflict",
            ),
            (StoreError::Conflict(ConstraintKind::Check), 409, "conflict"),
            (
                StoreError::Unavailable(sqlx::Error::PoolTimedOut),
                503,
                "service_unavailable",
            ),
            (
                StoreError::Db(sqlx::Error::Protocol("x".into())),
                500,
                "internal_error",
            ),
        ];
        for (e, status, code) in cases {
            let api = ApiError::from(e);
            assert_eq!(api.status().as_u16(), status);
            assert_eq!(api.wire().code, code);
        }
    }

    #[test]
    fn every_429_carries_retry_after() {
        for e in [
            ApiError::SessionRateLimited { retry_after: 5 },
            ApiError::InferenceRateLimited { retry_after: 0 },
            ApiError::ReconcileRateLimited { retry_after: 1 },
            ApiError::QuotaExceeded { retry_after: 60 },
        ] {
            let r = e.into_response();
            assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
            assert!(r.headers().get(RETRY_AFTER).is_some());
        }
    }
}
