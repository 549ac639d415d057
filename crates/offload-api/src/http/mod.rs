//! HTTP plumbing specific to this API: body reading (§1.4), the error envelope, fallbacks,
//! consent, client addresses and rate limits.

pub mod body;
pub mod consent;
pub mod envelope;
pub mod fallback;
pub mod limits;
