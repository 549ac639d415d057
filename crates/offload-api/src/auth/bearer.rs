//! `Authorization: Bearer <session token>` on protected routes.

use axum::http::{HeaderMap, header::AUTHORIZATION};

use crate::{auth::token::Session, error::ApiError, state::AppState};

/// The token from the header: scheme `Bearer` (any case), then non-empty credentials.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

/// The verified session of the caller, or 401 `unauthorized` / `invalid_token` / `expired_token`.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = bearer_token(headers).ok_or(ApiError::MissingToken)?;
    Ok(state
        .tokens
        .verify(token, state.clock.now().unix_timestamp())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn only_bearer_with_credentials_counts() {
        assert_eq!(bearer_token(&with("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with("Basic abc")), None);
        assert_eq!(bearer_token(&with("Bearer ")), None);
        assert_eq!(bearer_token(&with("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
