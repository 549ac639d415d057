//! What unknown paths and wrong methods answer: the original's framework defaults, which are not
//! enveloped (`{"detail": "Not Found"}`, `{"detail": "Method Not Allowed"}`), and a 307 to the
//! slash-less path for a known route with a trailing slash.

use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header::LOCATION},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Every routed path (for the trailing-slash redirect).
pub const ROUTES: [&str; 12] = [
    "/v1/health",
    "/v1/sessions/anonymous",
    "/v1/auth/apple",
    "/v1/ai/breakdown/generate",
    "/v1/ai/braindump/compile",
    "/v1/ai/decide/recommend",
    "/v1/ai/executive-function/prompt",
    "/v1/ai/communication/draft",
    "/v1/usage/reconcile",
    "/metrics",
    "/openapi.json",
    "/docs",
];

pub async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        if ROUTES.contains(&trimmed) {
            let target = match req.uri().query() {
                Some(q) => format!("{trimmed}?{q}"),
                None => trimmed.to_owned(),
            };
            if let Ok(location) = HeaderValue::from_str(&target) {
                return (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response();
            }
        }
    }
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}

pub async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"detail": "Method Not Allowed"})),
    )
        .into_response()
}
