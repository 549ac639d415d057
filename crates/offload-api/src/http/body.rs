//! Request bodies, the way the original reads them (spec §1.4), plus a byte cap.
//!
//! * More bytes than the cap → 413 `request_too_large`, before anything else, without buffering.
//! * An empty body is "no body": authentication and the other gates run first and the 422 comes
//!   at the schema step.
//! * With a JSON content type (or none), malformed JSON → 422 at once, before authentication.
//! * Any other content type with a body → 422 at the schema step.
//!
//! Parse errors are dropped on the floor: serde messages can quote the input.

use axum::{
    body::Body,
    http::{HeaderMap, header::CONTENT_LENGTH, header::CONTENT_TYPE},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// What a request carried.
#[derive(Debug)]
pub enum RawBody {
    Empty,
    Json(Value),
    /// A body with a non-JSON content type.
    NotJson,
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Read the body (at most `cap` bytes) and check its JSON syntax.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    cap: usize,
    max_chars: usize,
) -> Result<RawBody, ApiError> {
    let too_large = ApiError::RequestTooLarge { max_chars };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(too_large);
    }
    let bytes = match axum::body::to_bytes(body, cap).await {
        Ok(b) => b,
        Err(e) => {
            let limit_hit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return Err(if limit_hit {
                too_large
            } else {
                ApiError::Validation
            });
        }
    };
    if bytes.is_empty() {
        return Ok(RawBody::Empty);
    }
    if !is_json(headers) {
        return Ok(RawBody::NotJson);
    }
    serde_json::from_slice(&bytes)
        .map(RawBody::Json)
        .map_err(|_| ApiError::Validation)
}

impl RawBody {
    /// Deserialize into the route's request type; any failure is a bare 422.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        match self {
            RawBody::Json(v @ Value::Object(_)) => {
                serde_json::from_value(v).map_err(|_| ApiError::Validation)
            }
            _ => Err(ApiError::Validation),
        }
    }
}

/// serde helpers for the original's lax integers: `3`, `3.0`, `"3"` and `true` are 3, 1; `3.5` is
/// not an integer.
pub mod lax {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = Value::deserialize(d)?;
        let n = match &v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        };
        n.ok_or_else(|| D::Error::custom("not an integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let mut h = HeaderMap::new();
        assert!(is_json(&h));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.api+json"),
        );
        assert!(is_json(&h));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&h));
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_too_large() {
        let h = HeaderMap::new();
        let r = read(&h, Body::from(vec![b' '; 100]), 10, 4000).await;
        assert!(matches!(
            r,
            Err(ApiError::RequestTooLarge { max_chars: 4000 })
        ));
    }

    #[tokio::test]
    async fn empty_and_malformed_bodies() {
        let h = HeaderMap::new();
        assert!(matches!(
            read(&h, Body::empty(), 10, 1).await,
            Ok(RawBody::Empty)
        ));
        assert!(matches!(
            read(&h, Body::from("{nope"), 100, 1).await,
            Err(ApiError::Validation)
        ));
    }
}
