//! Route handlers, one file per resource. Thin: read, check, call the store or provider, answer.

pub mod ai;
pub mod apple;
pub mod health;
pub mod ops;
pub mod sessions;
pub mod usage;

use serde::Serialize;
use utoipa::ToSchema;

/// The error envelope (documentation type; responses are written by `http::envelope`).
#[derive(Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
}
