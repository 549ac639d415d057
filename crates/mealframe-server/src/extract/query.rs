//! Query-string parameters as plain strings; handlers parse each with [`super::Issues::query`] so
//! problems come back as 422s at `["query", name]`. A parameter given twice counts with its last
//! value (as in Starlette); a NUL character anywhere is refused here for every route.

use std::collections::HashMap;

use axum::{extract::FromRequestParts, http::request::Parts};
use serde_json::json;

use super::json::nul_issue;
use crate::error::ApiError;

pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A parameter given but empty counts as absent (as browsers send `?search=`).
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let mut map = HashMap::new();
        let pairs = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()));
        for (k, v) in pairs.into_iter().flatten() {
            if k.contains('\0') || v.contains('\0') {
                return Err(ApiError::invalid(nul_issue(vec![json!("query"), json!(k)])));
            }
            map.insert(k.into_owned(), v.into_owned());
        }
        Ok(QueryParams(map))
    }
}
