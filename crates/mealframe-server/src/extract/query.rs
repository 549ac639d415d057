//! Query-string parameters as plain strings; handlers parse each with [`super::Issues::query`] so
//! problems come back as 422s at `["query", name]`.

use std::collections::HashMap;

use axum::{extract::FromRequestParts, http::request::Parts};

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
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let map = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Ok(QueryParams(map))
    }
}
