//! The whole application assembled: the JSON API's routes and document, the web pages, and the
//! layer stack every request passes through (request ids and metrics, panics, security headers,
//! compression, CORS, `Idempotency-Key`, body limits, JSON fallbacks). The one place that knows
//! both front doors; they never import each other.

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower_http::cors::CorsLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::{api, error::internal_error_body, state::AppState, web};

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"detail": "Not Found"}))).into_response()
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"detail": "Method Not Allowed"})),
    )
        .into_response()
}

/// A panic's answer: what the original's exception handler answered (the panic is logged by
/// `platform::panic`).
fn panic_response() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(internal_error_body()),
    )
        .into_response()
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(list)
            .allow_credentials(true)
            .allow_methods([
                Method::DELETE,
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::PATCH,
                Method::POST,
                Method::PUT,
            ])
            .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
            .expose_headers([header::HeaderName::from_static("x-request-id")])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// The whole application: the API (with its document and Swagger UI) and the pages.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api::split(api::documented_routes(state.config.max_upload_bytes));
    with_layers(
        routes
            .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
            .merge(web::routes(state.config.max_upload_bytes)),
        state,
    )
}

/// `GET /` is the API's root for API clients and the Today page for browsers (`Accept:
/// text/html`): browsers are sent to the pages before routing.
async fn browsers_to_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/" && req.method() == Method::GET && web::wants_html(&req) {
        return web::root_page(state, req).await;
    }
    next.run(req).await
}

/// Fallbacks and the layer stack every request passes through (public so tests can wrap extra
/// routes in exactly the same stack).
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    // Install the Prometheus recorder before the first request is counted.
    let _ = platform::observe::metrics_handle();
    let mut app = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
    app = app.layer(middleware::from_fn_with_state(
        state.clone(),
        api::idempotency::layer,
    ));
    app = app.layer(middleware::from_fn_with_state(
        state.clone(),
        browsers_to_pages,
    ));
    if let Some(cors) = cors(&state.config.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn(web::headers::security_headers))
        .layer(platform::panic::catch_panic(panic_response))
        .layer(middleware::from_fn(platform::observe::observe))
        .with_state(state)
}
