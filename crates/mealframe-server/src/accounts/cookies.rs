//! The two cookies, written with exactly the attributes the original used for the refresh token.
//!
//! * `refresh_token` — the API's rotating refresh token, scoped to `/api/v1/auth`.
//! * `mf_session` — the web app's session (pages and the offline queue), scoped to `/`.
//!
//! Both are HTTP-only and `SameSite=lax`; `Secure` follows `Config::cookie_secure`.

use axum::http::{HeaderMap, HeaderValue, header};
use time::{OffsetDateTime, format_description::well_known::Rfc2822};

use crate::config::Config;

pub const REFRESH_COOKIE: &str = "refresh_token";
pub const REFRESH_PATH: &str = "/api/v1/auth";
pub const SESSION_COOKIE: &str = "mf_session";
/// The original hard-codes seven days for the refresh cookie, whatever the token lifetime.
const REFRESH_MAX_AGE: i64 = 604_800;

fn secure(cfg: &Config) -> &'static str {
    if cfg.cookie_secure { "; Secure" } else { "" }
}

pub fn set_refresh(cfg: &Config, raw: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={raw}; HttpOnly; Max-Age={REFRESH_MAX_AGE}; Path={REFRESH_PATH}; SameSite=lax{}",
        secure(cfg)
    ))
    .expect("token is URL-safe base64")
}

fn expired_now() -> String {
    // RFC 2822 with "GMT", as browsers expect in `expires=`.
    OffsetDateTime::now_utc()
        .format(&Rfc2822)
        .map(|s| s.replace("+0000", "GMT"))
        .unwrap_or_default()
}

pub fn clear_refresh(cfg: &Config) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}=\"\"; expires={}; HttpOnly; Max-Age=0; Path={REFRESH_PATH}; SameSite=lax{}",
        expired_now(),
        secure(cfg)
    ))
    .expect("static cookie")
}

pub fn set_session(cfg: &Config, raw: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={raw}; HttpOnly; Max-Age={}; Path=/; SameSite=lax{}",
        cfg.session_ttl.as_secs(),
        secure(cfg)
    ))
    .expect("token is URL-safe base64")
}

pub fn clear_session(cfg: &Config) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=\"\"; expires={}; HttpOnly; Max-Age=0; Path=/; SameSite=lax{}",
        expired_now(),
        secure(cfg)
    ))
    .expect("static cookie")
}

/// The value of cookie `name` in the request, if present.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}
