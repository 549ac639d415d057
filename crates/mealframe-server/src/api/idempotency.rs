//! `Idempotency-Key` on mutations: the first request with a key runs and its answer is stored;
//! a repeat (the offline queue replaying, a second tab, a flaky network) gets the stored answer
//! with `Idempotent-Replayed: true` instead of applying the change again. Keys are per user; a key
//! reused for a different method or path is a 422; a key whose first request is still running
//! answers 409 with `Retry-After: 1`. Server errors release the key so the client may retry.

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use mealframe_store::accounts::idempotency::{self, Claim};
use serde_json::json;

use crate::{error::ApiError, extract::CurrentUser, state::AppState};

pub const HEADER: &str = "idempotency-key";
const STALE_AFTER: time::Duration = time::Duration::minutes(5);
const MAX_STORED_BODY: usize = 1024 * 1024;

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
    let (Some(key), true) = (key, unsafe_method) else {
        return next.run(req).await;
    };
    let (mut parts, body) = req.into_parts();
    // Keys are per user: without one (sign-up, sign-in) the header is ignored and the route
    // answers as usual.
    let Ok(user) = CurrentUser::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let fingerprint = format!("{} {}", parts.method, parts.uri.path());
    let claimed = async {
        let mut tx = state.db.begin().await?;
        let c = idempotency::claim(
            &mut tx.conn(),
            user.id(),
            &key,
            &fingerprint,
            state.now(),
            STALE_AFTER,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ApiError>(c)
    }
    .await;
    match claimed {
        Err(e) => return e.into_response(),
        Ok(
            Claim::Done {
                fingerprint: fp, ..
            }
            | Claim::InProgress { fingerprint: fp },
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
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Claim::Fresh) => {}
    }
    let resp = next.run(Request::from_parts(parts, body)).await;
    let (resp_parts, resp_body) = resp.into_parts();
    let bytes = match to_bytes(resp_body, MAX_STORED_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::internal("response too large to store for Idempotency-Key")
                .into_response();
        }
    };
    let stored = async {
        let mut tx = state.db.begin().await?;
        if resp_parts.status.is_server_error() {
            idempotency::release(&mut tx.conn(), user.id(), &key).await?;
        } else {
            let ct = resp_parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            idempotency::complete(
                &mut tx.conn(),
                user.id(),
                &key,
                resp_parts.status.as_u16(),
                ct,
                &String::from_utf8_lossy(&bytes),
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = stored {
        tracing::error!(error = ?e, "could not store the answer of an idempotent request");
    }
    Response::from_parts(resp_parts, Body::from(bytes))
}
