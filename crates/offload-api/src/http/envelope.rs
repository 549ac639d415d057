//! Middleware that finishes error responses: writes the `{"error": {code, message, request_id}}`
//! body for any response carrying a [`WireError`].
//!
//! A panic is caught just inside it by `platform::panic::catch_panic` (see `app::layered`), whose
//! answer is [`panic_response`]: a 500 `internal_error` that this middleware then envelopes with
//! the request id, and that gets the request id header from `platform::observe` like every
//! response. Panic payloads are never logged: they can hold whatever value was being handled.

use axum::{
    Json,
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use platform::observe::RequestId;
use serde_json::json;

use crate::error::{ApiError, WireError};

pub async fn envelope(req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let mut response = next.run(req).await;
    if let Some(wire) = response.extensions_mut().remove::<WireError>() {
        let status = response.status();
        let mut rendered = (
            status,
            Json(json!({"error": {
                "code": wire.code,
                "message": wire.message,
                "request_id": request_id,
            }})),
        )
            .into_response();
        for (name, value) in response.headers() {
            if name != axum::http::header::CONTENT_TYPE
                && name != axum::http::header::CONTENT_LENGTH
            {
                rendered.headers_mut().insert(name.clone(), value.clone());
            }
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(code = wire.code, "request failed");
        }
        return rendered;
    }
    response
}

/// What a panicking handler answers (before the envelope is written): 500 `internal_error`.
pub fn panic_response() -> Response {
    ApiError::Internal("panic").into_response()
}
