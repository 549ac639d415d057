//! Middleware that finishes error responses: writes the `{"error": {code, message, request_id}}`
//! body for any response carrying a [`WireError`], and turns a panic into a 500 `internal_error`
//! (which then gets the request id header from `platform::observe` like every response).
//!
//! Panic payloads are never logged: they can hold whatever value was being handled.

use std::panic::AssertUnwindSafe;

use axum::{
    Json,
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures::FutureExt;
use platform::observe::RequestId;
use serde_json::json;

use crate::error::{ApiError, WireError};

pub async fn envelope(req: Request, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let mut response = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(_) => {
            tracing::error!("unhandled_exception");
            ApiError::Internal("panic").into_response()
        }
    };
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
