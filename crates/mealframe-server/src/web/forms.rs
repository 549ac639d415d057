//! Form posts: the raw fields (repeated keys kept in order) and helpers to reuse the JSON API's
//! request parsers, so that pages and API share one set of validation rules. A form with a NUL
//! character anywhere is refused (422) before any handler sees it.

use axum::{
    extract::{FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use super::layout::PageError;
use crate::{
    error::ApiError,
    extract::{FromBody, json::parse_value},
};

/// The fields of an `application/x-www-form-urlencoded` post, in order.
pub struct Fields(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        // NUL is refused in every form, as in JSON bodies and queries (see `extract::json`).
        if fields
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(PageError {
                status: INVALID,
                message: "Text must not contain the NUL character.".into(),
            }
            .into_response());
        }
        Ok(Fields(fields))
    }
}

impl Fields {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value, `None` when empty.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A JSON object built from form fields.
#[derive(Default)]
pub struct Json(pub Map<String, Value>);

impl Json {
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Json {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// Set `key` to the field's text, or leave it out when the field is empty.
    pub fn opt(mut self, key: &str, value: Option<String>) -> Json {
        if let Some(v) = value {
            self.0.insert(key.to_owned(), Value::String(v));
        }
        self
    }

    /// Set `key` to the field's text, or `null` when empty (clears it on update).
    pub fn opt_or_null(mut self, key: &str, value: Option<String>) -> Json {
        self.0
            .insert(key.to_owned(), value.map_or(Value::Null, Value::String));
        self
    }

    /// Parse with the API's rules; validation problems become readable messages.
    pub fn parse<T: FromBody>(self) -> Result<T, Vec<String>> {
        parse_value::<T>(Value::Object(self.0)).map_err(messages)
    }
}

/// Human-readable lines for an API error (validation issues name their field).
pub fn messages(e: ApiError) -> Vec<String> {
    match e {
        ApiError::Validation(issues) => issues
            .into_iter()
            .map(|i| {
                let field = i
                    .loc
                    .iter()
                    .skip(1)
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace('_', " ");
                if field.is_empty() {
                    i.msg
                } else {
                    format!("{field}: {}", i.msg)
                }
            })
            .collect(),
        other => vec![PageError::from(other).message],
    }
}

/// A 422 page status for forms re-rendered with errors.
pub const INVALID: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
