//! What every route of a kind can answer, added to the OpenAPI document once instead of on each
//! route (applied to the assembled document, so it sees every operation):
//!
//! * 401 `{"detail": …}` with `WWW-Authenticate: Bearer` on every route that needs a bearer token;
//! * 422 in the validation shape on every route that takes a body, a path or a query parameter;
//! * a body for each listed error answer that has none: the validation shape for 422, the rate
//!   limiter's `{"error": …}` (with `Retry-After`) for 429, the nested `{"detail": {"error":
//!   {code, message}}}` for the 400/403/404/409 of the daily-use and weekly routers (tags
//!   [`NESTED_TAGS`]), and `{"detail": "<message>"}` for every other error;
//! * a description (the status' reason phrase) on each answer listed without one.
//!
//! Error shapes: `crate::error`.

use axum::http::StatusCode;
use utoipa::{
    Modify,
    openapi::{
        Content, OpenApi, Ref, RefOr,
        header::Header,
        path::Operation,
        response::Response,
        schema::{ObjectBuilder, Type},
        security::SecurityRequirement,
    },
};

/// Tags of the routers that answer their own errors in the nested (`ApiError::Coded`) shape.
const NESTED_TAGS: [&str; 2] = ["Daily Use", "Weekly Planning"];

pub struct CommonResponses;

fn string_header(description: &str) -> RefOr<Header> {
    let mut h = Header::new(ObjectBuilder::new().schema_type(Type::String));
    h.description = Some(description.into());
    RefOr::T(h)
}

fn with_body(description: &str, schema: &str) -> Response {
    let mut r = Response::new(description);
    r.content.insert(
        "application/json".into(),
        Content::new(Some(Ref::from_schema_name(schema))).into(),
    );
    r
}

fn unauthorized() -> Response {
    let mut r = with_body(
        "Not authenticated, invalid or expired token, or the user is gone or disabled",
        "ErrorDetail",
    );
    r.headers
        .insert("WWW-Authenticate".into(), string_header("`Bearer`"));
    r
}

fn invalid() -> Response {
    with_body("Validation error", "HTTPValidationError")
}

fn needs_token(op: &Operation) -> bool {
    op.security
        .iter()
        .flatten()
        .any(|req| *req != SecurityRequirement::default())
}

fn takes_input(op: &Operation) -> bool {
    op.request_body.is_some() || op.parameters.iter().flatten().next().is_some()
}

/// Add `response` under `status` unless the route lists that status already.
fn add(op: &mut Operation, status: &str, response: Response) {
    op.responses
        .responses
        .entry(status.into())
        .or_insert(RefOr::T(response));
}

/// The body schema of an error answer `status` of a route (nested or not).
fn error_schema(status: StatusCode, nested: bool) -> &'static str {
    match status {
        StatusCode::UNPROCESSABLE_ENTITY => "HTTPValidationError",
        StatusCode::TOO_MANY_REQUESTS => "RateLimitError",
        StatusCode::BAD_REQUEST
        | StatusCode::FORBIDDEN
        | StatusCode::NOT_FOUND
        | StatusCode::CONFLICT
            if nested =>
        {
            "CodedError"
        }
        _ => "ErrorDetail",
    }
}

/// Give a listed answer without a description its reason phrase, and an error answer without a
/// body its error shape (and a bearer route's 401 its `WWW-Authenticate`).
fn complete(status: &str, response: &mut Response, nested: bool, secured: bool) {
    let Some(code) = status
        .parse::<u16>()
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return;
    };
    if response.description.is_empty() {
        response.description = code.canonical_reason().unwrap_or_default().into();
    }
    if !(code.is_client_error() || code.is_server_error()) || !response.content.is_empty() {
        return;
    }
    let filled = with_body("", error_schema(code, nested));
    response.content = filled.content;
    if code == StatusCode::UNAUTHORIZED && secured {
        response
            .headers
            .entry("WWW-Authenticate".into())
            .or_insert_with(|| string_header("`Bearer`"));
    }
    if code == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers
            .entry("Retry-After".into())
            .or_insert_with(|| string_header("Seconds until the next allowed request"));
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = needs_token(op);
                if secured {
                    add(op, "401", unauthorized());
                }
                if takes_input(op) {
                    add(op, "422", invalid());
                }
                let nested = op
                    .tags
                    .iter()
                    .flatten()
                    .any(|t| NESTED_TAGS.contains(&t.as_str()));
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        complete(status, response, nested, secured);
                    }
                }
            }
        }
    }
}
