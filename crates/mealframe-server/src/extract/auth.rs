//! `CurrentUser`: who is calling.
//!
//! Two credentials are accepted:
//! * `Authorization: Bearer <access JWT>` — the API's (and the original clients') way;
//! * the web app's `mf_session` cookie (HTTP-only, same-site). Cookie-authenticated writes must
//!   come from our own origin: `Sec-Fetch-Site` must be `same-origin`/`none`, or, from browsers
//!   that do not send it, `Origin` must be ours. Bearer requests are not cookie-borne and cannot be
//!   forged cross-site, so they need no such check.
//!
//! Failures are the original's 401s (with `WWW-Authenticate: Bearer`).

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
};
use dbkit::Timestamp;
use mealframe_core::ids::UserId;
use mealframe_store::accounts::{
    sessions::{self, WebSession},
    users::{self, User},
};
use uuid::Uuid;

use crate::{
    accounts::{cookies, secret_tokens::sha256_hex},
    app::Write,
    error::ApiError,
    state::AppState,
};

/// How the caller authenticated.
#[derive(Debug, Clone, Copy)]
pub enum AuthVia {
    /// `auth_time`: when the sign-in behind the token happened (unknown for old tokens).
    Bearer {
        auth_time: Option<i64>,
    },
    Session {
        id: Uuid,
        created_at: Timestamp,
    },
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub via: AuthVia,
    /// The `Idempotency-Key` the request's middleware claimed for this user, if any: its writes
    /// mark it applied (see [`CurrentUser::write`]).
    pub claimed_key: Option<String>,
}

/// How recent a sign-in must be to count as "just signed in" (account deletion without password).
const RECENT: i64 = 10 * 60;
/// A session's expiry slides forward at most this often.
const SESSION_TOUCH_EVERY: time::Duration = time::Duration::hours(1);

impl CurrentUser {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// What this request's writes carry: the user, and the claimed `Idempotency-Key`.
    pub fn write(&self) -> Write {
        Write {
            user: self.user.id,
            idempotency_key: self.claimed_key.clone(),
        }
    }

    pub fn signed_in_recently(&self, now: Timestamp) -> bool {
        let at = match self.via {
            AuthVia::Bearer { auth_time } => auth_time,
            AuthVia::Session { created_at, .. } => Some(created_at.unix_seconds()),
        };
        at.is_some_and(|at| now.unix_seconds() - at <= RECENT)
    }

    /// The user's calendar date at `now`, in their time zone (default UTC).
    pub fn today(&self, now: Timestamp) -> time::Date {
        crate::app::today::today_of(&self.user, now)
    }

    pub fn web_session(&self) -> Option<Uuid> {
        match self.via {
            AuthVia::Session { id, .. } => Some(id),
            AuthVia::Bearer { .. } => None,
        }
    }
}

/// Whether a cookie-authenticated write comes from our own pages.
pub fn same_origin_write(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == public_url {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// The caller's row, if they exist and are active. Read on every request (it carries the data
/// version the view cache is keyed by), from memory on SQLite while the change log names no change
/// of theirs (`generation` from [`SignedIn::fresh`](crate::app::cache::SignedIn::fresh), taken
/// before any read of this request).
async fn active_user(
    state: &AppState,
    id: UserId,
    generation: Option<u64>,
) -> Result<User, ApiError> {
    let kept = &state.views.signed_in;
    let user = match generation.and_then(|_| kept.user(id)) {
        Some(user) => user,
        None => {
            let mut r = state.db.reader().await?;
            let user = users::by_id(&mut r.conn(), id)
                .await?
                .ok_or(ApiError::Unauthorized("User not found or disabled"))?;
            if let Some(g) = generation {
                kept.keep_user(&user, g);
            }
            user
        }
    };
    only_active(user)
}

/// A disabled account is answered like a missing one.
fn only_active(user: User) -> Result<User, ApiError> {
    match user.is_active {
        true => Ok(user),
        false => Err(ApiError::Unauthorized("User not found or disabled")),
    }
}

/// The live web session with this cookie value and its active user (from memory on SQLite while
/// both are unchanged, else one joined read; the expiry is checked against the clock either way).
async fn session_and_user(
    state: &AppState,
    raw: &str,
    now: Timestamp,
    generation: Option<u64>,
) -> Result<(WebSession, User), ApiError> {
    let hash = sha256_hex(raw);
    let kept = &state.views.signed_in;
    let remembered = generation
        .and_then(|_| kept.session(&hash))
        .and_then(|session| Some((kept.user(session.user())?, session)));
    let (session, user) = match remembered {
        Some((user, session)) => (session, user),
        None => {
            let mut r = state.db.reader().await?;
            let (session, user) = users::with_live_session(&mut r.conn(), &hash, now)
                .await?
                .ok_or(ApiError::Unauthorized("Not authenticated"))?;
            if let Some(g) = generation {
                kept.keep_user(&user, g);
                kept.keep_session(hash, &session, g);
            }
            (session, user)
        }
    };
    if session.expires_at <= now {
        return Err(ApiError::Unauthorized("Not authenticated"));
    }
    Ok((session, only_active(user)?))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(cached) = parts.extensions.get::<CurrentUser>() {
            return Ok(cached.clone());
        }
        let now = state.now();
        // Whose rows changed is looked at once a credential is in hand (on PostgreSQL the look
        // waits for a round trip); one look serves both kept reads of a cookie request.
        let current = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let text = value.to_str().unwrap_or("");
            let (scheme, credentials) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
            if !scheme.eq_ignore_ascii_case("bearer") || credentials.trim().is_empty() {
                return Err(ApiError::Unauthorized("Not authenticated"));
            }
            let verified = state
                .jwt
                .verify(credentials.trim(), now)
                .ok_or(ApiError::Unauthorized("Invalid or expired token"))?;
            let generation = state.views.signed_in.fresh(&state.db).await?;
            let user = active_user(state, verified.user, generation).await?;
            // Revoked at once: logout everywhere, a password change or a stolen refresh token
            // raised the generation after this token was issued.
            if verified.generation != user.token_generation {
                return Err(ApiError::Unauthorized("Invalid or expired token"));
            }
            CurrentUser {
                user,
                via: AuthVia::Bearer {
                    auth_time: verified.auth_time,
                },
                claimed_key: None,
            }
        } else if let Some(raw) = cookies::read(&parts.headers, cookies::SESSION_COOKIE) {
            let generation = state.views.signed_in.fresh(&state.db).await?;
            let (session, user) = session_and_user(state, raw, now, generation).await?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe && !same_origin_write(&parts.headers, &state.config.public_url) {
                return Err(ApiError::detail(
                    StatusCode::FORBIDDEN,
                    "Cross-site request refused",
                ));
            }
            if now.minus(SESSION_TOUCH_EVERY) > session.last_seen_at {
                let expires = now.plus(time::Duration::seconds(
                    state.config.session_ttl.as_secs() as i64
                ));
                let mut tx = state.db.begin().await?;
                sessions::touch(&mut tx.conn(), session.id, expires, now).await?;
                tx.commit().await?;
            }
            CurrentUser {
                user,
                via: AuthVia::Session {
                    id: session.id,
                    created_at: session.created_at,
                },
                claimed_key: None,
            }
        } else {
            return Err(ApiError::Unauthorized("Not authenticated"));
        };
        parts.extensions.insert(current.clone());
        Ok(current)
    }
}

/// `Option<CurrentUser>`: `None` for anonymous requests (pages that work signed in or out).
impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(ApiError::Unauthorized(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_cookie_writes_are_refused() {
        let public = "https://meals.example.org";
        assert!(same_origin_write(
            &headers(&[("sec-fetch-site", "same-origin")]),
            public
        ));
        assert!(!same_origin_write(
            &headers(&[("sec-fetch-site", "cross-site")]),
            public
        ));
        assert!(!same_origin_write(
            &headers(&[("sec-fetch-site", "same-site")]),
            public
        ));
        assert!(same_origin_write(
            &headers(&[("origin", "https://meals.example.org")]),
            public
        ));
        assert!(!same_origin_write(
            &headers(&[("origin", "https://evil.example")]),
            public
        ));
        assert!(same_origin_write(
            &headers(&[
                ("origin", "http://10.0.0.5:8080"),
                ("host", "10.0.0.5:8080")
            ]),
            public
        ));
        assert!(
            same_origin_write(&headers(&[]), public),
            "non-browser clients send neither header"
        );
    }
}
