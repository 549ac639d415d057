//! One problem with a request's input, in pydantic's shape (a 422 lists them). Its own file so
//! that the API error can carry issues without depending on the parsers that find them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One validation problem.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = ValidationError)]
pub struct Issue {
    /// Pydantic's error type: `missing`, `string_too_short`, `uuid_parsing`, `enum`, …
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// Where: `body`, `query` or `path`, then keys and list indexes.
    #[schema(value_type = Vec<LocPart>)]
    pub loc: Vec<Value>,
    pub msg: String,
    /// The rejected value (`[hidden]` for a password).
    pub input: Value,
    /// The rule's limits, e.g. `{"min_length": 8}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub ctx: Option<Value>,
}

// Only described in the OpenAPI document: `loc` holds JSON values.
/// A key, or an index into a list.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum LocPart {
    Key(String),
    Index(u32),
}
