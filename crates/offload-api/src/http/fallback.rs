//! What unknown paths and wrong methods answer: the original's framework defaults, which are not
//! enveloped (`{"detail": "Not Found"}`, `{"detail": "Method Not Allowed"}`), and a 307 to the
//! slash-less path for a known route with a trailing slash.

use std::sync::OnceLock;

use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header::LOCATION},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// The paths served besides the documented routes (see `app::router`).
pub const UNDOCUMENTED: [&str; 3] = ["/metrics", "/openapi.json", "/docs"];

/// Whether `path` is routed (for the trailing-slash redirect): a path of the route list that
/// builds the router and the document (`app::documented_routes`), or an undocumented one.
pub fn is_routed(path: &str) -> bool {
    static DOCUMENTED: OnceLock<Vec<String>> = OnceLock::new();
    let documented = DOCUMENTED.get_or_init(|| {
        crate::app::documented_routes()
            .split_for_parts()
            .1
            .paths
            .paths
            .into_keys()
            .collect()
    });
    UNDOCUMENTED.contains(&path) || documented.iter().any(|p| p == path)
}

pub async fn not_found(req: Request) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        if is_routed(trimmed) {
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
