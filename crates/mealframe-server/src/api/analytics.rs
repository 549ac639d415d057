//! `POST /api/v1/analytics/pageview`: self-hosted landing-page analytics. Stores the URL,
//! referrer, user agent, a client-chosen session id and a daily-salted hash of the IP (never the
//! IP). No authentication; rate limited per IP (the original had no limit).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::limits;
use crate::{
    app,
    error::ApiResult,
    extract::{ApiJson, ClientIp, FromBody, Issues},
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
pub struct PageviewBody {
    #[schema(max_length = 2048)]
    pub page_url: String,
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub referrer: Option<String>,
    #[serde(default)]
    #[schema(max_length = 64)]
    pub session_id: Option<String>,
}

impl FromBody for PageviewBody {
    type Raw = PageviewBody;
    fn parse(raw: PageviewBody, v: &mut Issues) -> Option<Self> {
        v.text("page_url", &raw.page_url, 0, Some(2048))?;
        if let Some(r) = &raw.referrer {
            v.text("referrer", r, 0, Some(2048))?;
        }
        if let Some(s) = &raw.session_id {
            v.text("session_id", s, 0, Some(64))?;
        }
        Some(raw)
    }
}

#[derive(Serialize, ToSchema)]
pub struct StatusOk {
    pub status: &'static str,
}

/// Record a page view (202).
#[utoipa::path(post, path = "/api/v1/analytics/pageview", tag = "Analytics", request_body = PageviewBody,
    responses((status = 202, body = StatusOk), (status = 422), (status = 429)))]
pub async fn pageview(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PageviewBody>,
) -> ApiResult<impl IntoResponse> {
    limits::enforce(&state, "pageview", state.config.pageview_rate, &ip).await?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let view = app::analytics::Pageview {
        page_url: &body.page_url,
        referrer: body.referrer.as_deref(),
        session_id: body.session_id.as_deref(),
    };
    app::analytics::record(&state, &view, ip.0, user_agent).await?;
    Ok((StatusCode::ACCEPTED, Json(StatusOk { status: "ok" })))
}
