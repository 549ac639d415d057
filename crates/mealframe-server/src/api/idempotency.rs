//! `Idempotency-Key` on mutations: the first request with a key runs and its answer is stored;
//! a repeat (the offline queue replaying, a second tab, a flaky network) gets the stored answer
//! with `Idempotent-Replayed: true` instead of applying the change again. Keys are per user; a key
//! reused for a different method or path is a 422; a key whose first request is still running
//! answers 409 with `Retry-After: 1`. Server errors release the key so the client may retry.
//!
//! A claim holds for a short lease that a task renews while the request runs; a claim left by a
//! process that died is taken over within seconds, not minutes (the rules: `app::idempotency`).
//!
//! The claim and the stored answer are transactions of their own, around the handler's. So that a
//! change is never applied twice, the handler's own transaction also marks the key as applied
//! (`AppState::begin_for` does it for the key the request's `CurrentUser::write()` carries):
//! if the server stops after that commit but before the answer is stored, or the handler fails
//! after committing, a repeat gets `200` with a note that the change was applied and its answer
//! is lost, instead of a second application. Account routes (password, sessions, profile) write
//! through their own transactions and are not marked: a repeat after such a crash runs again.

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use mealframe_core::ids::UserId;
use mealframe_store::accounts::idempotency::Claim;
use serde_json::json;

use crate::{
    app::idempotency::{self, Answer},
    error::ApiError,
    extract::CurrentUser,
    state::AppState,
};

pub const HEADER: &str = "idempotency-key";
const MAX_STORED_BODY: usize = 1024 * 1024;

const LOST_ANSWER: &str = "This request was already applied; its original answer is not available";

fn replayed(status: StatusCode, content_type: Option<HeaderValue>, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

/// Renews the claim on `key` every few seconds until dropped (the request finished).
struct Renewal(tokio::task::JoinHandle<()>);

impl Renewal {
    fn start(state: &AppState, user: UserId, key: &str) -> Renewal {
        let (state, key) = (state.clone(), key.to_owned());
        Renewal(tokio::spawn(async move {
            let mut tick = tokio::time::interval(idempotency::RENEW_EVERY);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = idempotency::renew(&state, user, &key).await {
                    tracing::warn!(error = ?e, "could not renew an Idempotency-Key claim");
                }
            }
        }))
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn valid_key(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| (0x21..=0x7e).contains(&b)))
        .then(|| s.to_owned())
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = req.headers().get(HEADER).and_then(valid_key);
    // An answer carrying a secret (the calendar feed URL) is never stored; a repeat runs again.
    let secret_answer = req.uri().path() == super::calendar::TOKEN_PATH;
    let (Some(key), true, false) = (key, unsafe_method, secret_answer) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    // Keys are per user: without one (sign-up, sign-in) the header is ignored and the route
    // answers as usual.
    let Ok(mut user) = CurrentUser::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let fingerprint = format!("{} {}", parts.method, parts.uri.path());
    let claimed = idempotency::claim(&state, user.id(), &key, &fingerprint).await;
    match claimed {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(
            Claim::Done {
                fingerprint: fp, ..
            }
            | Claim::InProgress { fingerprint: fp }
            | Claim::Applied { fingerprint: fp },
        ) if fp != fingerprint => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"detail": "Idempotency-Key was already used for a different request"})),
            )
                .into_response();
        }
        Ok(Claim::InProgress { .. }) => {
            let mut r = (
                StatusCode::CONFLICT,
                Json(json!({"detail": "A request with this Idempotency-Key is still in progress"})),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        Ok(Claim::Done {
            status,
            content_type,
            body,
            ..
        }) => {
            return replayed(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                content_type.and_then(|c| HeaderValue::from_str(&c).ok()),
                Body::from(body),
            );
        }
        Ok(Claim::Applied { .. }) => {
            return replayed(
                StatusCode::OK,
                Some(HeaderValue::from_static("application/json")),
                Body::from(json!({ "detail": LOST_ANSWER }).to_string()),
            );
        }
        Ok(Claim::Fresh) => {}
    }
    // The handler's writes mark the key applied in their own transaction: the user it extracts
    // (cached in the request) carries the claimed key.
    user.claimed_key = Some(key.clone());
    parts.extensions.insert(user.clone());
    let renewal = Renewal::start(&state, user.id(), &key);
    let resp = next.run(Request::from_parts(parts, body)).await;
    drop(renewal);
    let (resp_parts, resp_body) = resp.into_parts();
    let bytes = match to_bytes(resp_body, MAX_STORED_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::internal("response too large to store for Idempotency-Key")
                .into_response();
        }
    };
    let stored = if resp_parts.status.is_server_error() {
        // If the change committed before the failure, a repeat must not apply it again.
        let lost = json!({ "detail": LOST_ANSWER }).to_string();
        let lost = Answer {
            status: 200,
            content_type: Some("application/json"),
            body: &lost,
        };
        idempotency::fail(&state, user.id(), &key, &lost).await
    } else {
        let content_type = resp_parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let body = String::from_utf8_lossy(&bytes);
        let answer = Answer {
            status: resp_parts.status.as_u16(),
            content_type,
            body: &body,
        };
        idempotency::finish(&state, user.id(), &key, &answer).await
    };
    if let Err(e) = stored {
        tracing::error!(error = ?e, "could not store the answer of an idempotent request");
    }
    Response::from_parts(resp_parts, Body::from(bytes))
}
