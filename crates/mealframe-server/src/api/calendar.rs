//! The calendar feed's secret through the API (issue 13): `POST /api/v1/calendar/token` creates
//! the feed or rotates its address (the old URL answers 404 at once) and returns the new URL —
//! the only time it is ever shown, as only its hash is stored; `DELETE` turns the feed off. The
//! feed itself is `GET /calendar/{token}.ics` (`web::calendar`).

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{app, error::ApiResult, extract::CurrentUser, state::AppState};

/// The path whose answers carry a secret: the `Idempotency-Key` layer never stores them.
pub const TOKEN_PATH: &str = "/api/v1/calendar/token";

#[derive(Serialize, ToSchema)]
pub struct CalendarFeedResponse {
    /// The feed address to subscribe to (`…/calendar/{token}.ics`). Shown only in this answer.
    #[schema(example = "https://meals.example.org/calendar/3q2-…-Xk.ics")]
    pub url: String,
    /// True if an earlier address was replaced (it no longer works).
    pub rotated: bool,
}

#[utoipa::path(post, path = "/api/v1/calendar/token", tag = "Calendar Feed", security(("bearer" = [])),
    responses(
        (status = 201, body = CalendarFeedResponse, description = "Feed created"),
        (status = 200, body = CalendarFeedResponse, description = "Feed address rotated; the old one answers 404"),
        (status = 401)))]
pub async fn create_or_rotate(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Response> {
    let new = app::calendar::create_or_rotate(&state, &user.write()).await?;
    let status = if new.rotated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = CalendarFeedResponse {
        url: app::calendar::feed_url(&state, &new.token),
        rotated: new.rotated,
    };
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

#[utoipa::path(delete, path = "/api/v1/calendar/token", tag = "Calendar Feed", security(("bearer" = [])),
    responses((status = 204, description = "Feed off (also when there was none); its address answers 404"), (status = 401)))]
pub async fn revoke(State(state): State<AppState>, user: CurrentUser) -> ApiResult<StatusCode> {
    app::calendar::revoke(&state, &user.write()).await?;
    Ok(StatusCode::NO_CONTENT)
}
