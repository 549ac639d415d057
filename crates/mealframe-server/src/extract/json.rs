//! `ApiJson<T>`: a JSON body parsed into a typed request, with FastAPI's rules and error shapes.
//!
//! * Content type absent, `application/json` or `application/*+json` → parsed; any other type →
//!   422 `model_attributes_type` (the original treats such a body as a plain string).
//! * Empty body → 422 `missing` at `["body"]` (routes with a body model require one; send `{}`).
//! * Malformed JSON → 422 `json_invalid` at `["body", <character offset>]`.
//! * Too large → 413 `{"detail": "Request body too large"}`.
//! * Wrong JSON types → 422 from serde (first problem); rule violations → 422 with every problem
//!   (from the request type's [`FromBody::parse`]). Unknown keys are ignored.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
};
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::{Value, json};

use super::validation::{Issue, Issues, Source, issue_from_serde};
use crate::error::ApiError;

/// A request body type: its wire form (`Raw`, read by serde) and how to turn it into typed input.
pub trait FromBody: Sized {
    type Raw: DeserializeOwned;
    /// Check the rules and build the typed value; every problem goes into `issues`.
    fn parse(raw: Self::Raw, issues: &mut Issues) -> Option<Self>;
}

/// The extractor.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: FromBody,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
            } else {
                ApiError::bad_request("Could not read the request body")
            }
        })?;
        let value = json_body(content_type.as_deref(), &bytes)?;
        parse_value::<T>(value).map(ApiJson)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Decode a request body into a JSON value following the rules above.
pub fn json_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(Issue {
            kind: "missing",
            loc: vec![json!("body")],
            msg: "Field required".into(),
            input: Value::Null,
            ctx: None,
        }));
    }
    if !is_json(content_type) {
        return Err(ApiError::invalid(Issue {
            kind: "model_attributes_type",
            loc: vec![json!("body")],
            msg: "Input should be a valid dictionary or object to extract fields from".into(),
            input: Value::String(String::from_utf8_lossy(bytes).into_owned()),
            ctx: None,
        }));
    }
    serde_json::from_slice::<Value>(bytes).map_err(|e| {
        let offset = char_offset(bytes, e.line(), e.column());
        ApiError::invalid(Issue {
            kind: "json_invalid",
            loc: vec![json!("body"), json!(offset)],
            msg: "JSON decode error".into(),
            input: json!({}),
            ctx: Some(json!({ "error": "Expecting value" })),
        })
    })
}

/// The character offset (as Python reports it) of a 1-based line/column position.
fn char_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1).min(l.chars().count());
        }
        offset += l.chars().count() + 1;
    }
    offset
}

/// Deserialize `value` into `T::Raw` and parse it; all problems become one 422.
pub fn parse_value<T: FromBody>(value: Value) -> Result<T, ApiError> {
    // serde would accept a JSON array for a struct (positional fields); a body model is an object.
    if !value.is_object() {
        return Err(ApiError::invalid(Issue {
            kind: "model_attributes_type",
            loc: vec![json!("body")],
            msg: "Input should be a valid dictionary or object to extract fields from".into(),
            input: value,
            ctx: None,
        }));
    }
    let raw: T::Raw = serde_path_to_error::deserialize(&value).map_err(|e| {
        let issue = issue_from_serde(Source::Body, e.path(), e.inner(), &value);
        ApiError::invalid(issue)
    })?;
    let mut issues = Issues::body();
    let parsed = T::parse(raw, &mut issues);
    issues.finish(parsed)
}

/// A field whose absence means "leave as is" and whose `null` means "clear it".
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|o| o.map_or(Patch::Null, Patch::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(None));
        assert!(is_json(Some("application/json; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
    }

    #[test]
    fn malformed_json_reports_the_character_offset() {
        let err = json_body(None, b"{\"a\": 1,\n \"b\": }").unwrap_err();
        let ApiError::Validation(issues) = err else {
            panic!()
        };
        assert_eq!(issues[0].kind, "json_invalid");
        assert_eq!(issues[0].loc, vec![json!("body"), json!(15)]);
    }

    #[test]
    fn an_empty_body_is_missing() {
        let ApiError::Validation(issues) = json_body(None, b"  ").unwrap_err() else {
            panic!()
        };
        assert_eq!(issues[0].kind, "missing");
    }
}
