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
    let value = serde_json::from_slice::<Value>(bytes).map_err(|e| {
        let offset = char_offset(bytes, e.line(), e.column());
        ApiError::invalid(Issue {
            kind: "json_invalid",
            loc: vec![json!("body"), json!(offset)],
            msg: "JSON decode error".into(),
            input: json!({}),
            ctx: Some(json!({ "error": "Expecting value" })),
        })
    })?;
    let mut at = vec![json!("body")];
    if find_nul(&value, &mut at) {
        return Err(ApiError::invalid(nul_issue(at)));
    }
    Ok(value)
}

/// Text may not contain NUL: PostgreSQL cannot store it, and no person types it. Refused for
/// every key and string of a body, wherever it is; `at` ends as the path to the first one.
fn find_nul(value: &Value, at: &mut Vec<Value>) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
            at.push(json!(i));
            let found = find_nul(v, at);
            if !found {
                at.pop();
            }
            found
        }),
        Value::Object(map) => map.iter().any(|(k, v)| {
            at.push(json!(k));
            let found = k.contains('\0') || find_nul(v, at);
            if !found {
                at.pop();
            }
            found
        }),
        _ => false,
    }
}

/// The 422 issue for a NUL character at `loc`.
pub fn nul_issue(loc: Vec<Value>) -> Issue {
    Issue {
        kind: "string_pattern_mismatch",
        loc,
        msg: "Text must not contain the NUL character (\\u0000)".into(),
        input: Value::Null,
        ctx: None,
    }
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
        if issue.kind == "missing" {
            ApiError::Validation(every_missing::<T::Raw>(&value, issue))
        } else {
            ApiError::invalid(issue)
        }
    })?;
    let mut issues = Issues::body();
    let parsed = T::parse(raw, &mut issues);
    issues.finish(parsed)
}

/// serde stops at the first missing field; pydantic lists them all. Find the others by filling
/// each missing field with a stand-in of some JSON type the field accepts and reading again,
/// until the next problem is not a missing field (bounded: one round per field).
fn every_missing<R: DeserializeOwned>(original: &Value, first: Issue) -> Vec<Issue> {
    const STAND_INS: [fn() -> Value; 5] = [
        || json!(""),
        || json!(0),
        || json!(false),
        || json!([]),
        || json!({}),
    ];
    let mut probe = original.clone();
    let mut found = vec![first];
    for _ in 0..64 {
        let issue = found.last().expect("starts with one");
        let (Some(Value::String(field)), parent_loc) =
            (issue.loc.last(), &issue.loc[1..issue.loc.len() - 1])
        else {
            break;
        };
        let field = field.clone();
        let parent_loc = parent_loc.to_vec();
        let mut next = None;
        for stand_in in STAND_INS {
            let Some(parent) = locate(&mut probe, &parent_loc).and_then(Value::as_object_mut)
            else {
                return found;
            };
            parent.insert(field.clone(), stand_in());
            match serde_path_to_error::deserialize::<_, R>(&probe) {
                Ok(_) => return found,
                Err(e) => {
                    let again = issue_from_serde(Source::Body, e.path(), e.inner(), &probe);
                    if again.loc != found.last().expect("non-empty").loc {
                        next = Some(again);
                        break;
                    }
                }
            }
        }
        match next {
            Some(mut again) if again.kind == "missing" => {
                // The input shown is the caller's object, not the probe with stand-ins.
                let at = &again.loc[1..again.loc.len() - 1];
                again.input = locate(&mut original.clone(), at)
                    .map(|v| v.clone())
                    .unwrap_or(Value::Null);
                found.push(again);
            }
            _ => break,
        }
    }
    found
}

/// The value at a `loc` path (keys and indexes) inside `v`.
fn locate<'v>(v: &'v mut Value, loc: &[Value]) -> Option<&'v mut Value> {
    loc.iter().try_fold(v, |at, step| match step {
        Value::String(k) => at.get_mut(k.as_str()),
        Value::Number(i) => at.get_mut(i.as_u64()? as usize),
        _ => None,
    })
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
