//! One problem with a request's input, in pydantic's shape (a 422 lists them). Its own file so
//! that the API error can carry issues without depending on the parsers that find them.

use serde::Serialize;
use serde_json::Value;

/// One validation problem.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Issue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}
