//! Extractors: turning an HTTP request into parsed, typed input — or a 4xx in the original's shape.

pub mod auth;
pub mod client_ip;
pub mod issue;
pub mod json;
pub mod query;
pub mod upload;
pub mod validation;

pub use auth::{AuthVia, CurrentUser};
pub use client_ip::ClientIp;
pub use json::{ApiJson, FromBody, Patch};
pub use query::QueryParams;
pub use validation::{Issue, Issues, Loc};
