//! The JSON API: route table, OpenAPI document (`/openapi.json`, Swagger UI at `/docs`) and the
//! layer stack every request passes through.

pub mod analytics;
pub mod auth;
pub mod capture;
mod common_responses;
pub mod daily;
pub mod day_templates;
pub mod export;
pub mod health;
pub mod idempotency;
pub mod limits;
pub mod meal_types;
pub mod meals;
mod params;
pub(crate) mod planning_errors;
pub mod stats;
pub mod upload;
pub mod week_plans;
pub mod weekly;
pub mod wire;

use std::any::Any;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, Method, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower_http::{catch_panic::CatchPanicLayer, cors::CorsLayer};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

use crate::{error::internal_error_body, state::AppState};

#[derive(OpenApi)]
#[openapi(
    info(title = "MealFrame API", description = "Meal-plan executor: plan exact meals while calm, follow them at meal time.\n\n\
        This document describes the JSON API (`/api/v1/…`) and the health routes. The same process \
        also serves the web app, which this document deliberately leaves out: its HTML pages and form \
        posts (`/` when the browser asks for HTML, `/week`, `/meals`, `/setup`, `/stats`, `/settings`, \
        `/login`, …), its static files, and Swagger UI (`/docs`) with this document (`/openapi.json`)."),
    modifiers(&BearerAuth),
    components(schemas(
        crate::error::ErrorDetail,
        crate::error::ValidationErrorBody,
        crate::error::CodedError,
        crate::error::RateLimitError
    )),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "Analytics", description = "Landing-page analytics"),
        (name = "Daily Use", description = "Today, completion, ad-hoc meals, reassignment"),
        (name = "Weekly Planning", description = "Generated weeks and day-level changes"),
        (name = "Meals", description = "The meal library, CSV import and export"),
        (name = "Meal Types", description = "Purpose slots such as Breakfast"),
        (name = "Day Templates", description = "Ordered meal-type slots with soft limits"),
        (name = "Week Plans", description = "Weekday to template mappings"),
        (name = "Stats", description = "Adherence, streaks, macros"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every documented route; `upload_limit` bounds the multipart routes' bodies.
pub fn documented_routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    // Uploads get their own (larger) body limit; multipart framing adds a little overhead.
    let uploads = OpenApiRouter::new()
        .routes(routes!(meals::import))
        .layer(DefaultBodyLimit::max(upload_limit + 64 * 1024));
    let photos = OpenApiRouter::new()
        .routes(routes!(capture::ai_capture))
        .layer(DefaultBodyLimit::max(capture::MAX_IMAGE_BYTES + 64 * 1024));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::root))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me, auth::update_me, auth::delete_me))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::forgot_password))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::google_enabled))
        .routes(routes!(auth::google_authorize))
        .routes(routes!(auth::google_callback))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::logout_all))
        .routes(routes!(analytics::pageview))
        .routes(routes!(export::export))
        .routes(routes!(daily::today))
        .routes(routes!(daily::yesterday))
        .routes(routes!(daily::add_adhoc))
        .routes(routes!(daily::complete, daily::uncomplete))
        .routes(routes!(daily::delete_slot))
        .routes(routes!(daily::reassign))
        .routes(routes!(weekly::current))
        .routes(routes!(weekly::generate))
        .routes(routes!(weekly::switch_template))
        .routes(routes!(weekly::set_override, weekly::clear_override))
        .routes(routes!(meal_types::list, meal_types::create))
        .routes(routes!(
            meal_types::get,
            meal_types::update,
            meal_types::delete
        ))
        .routes(routes!(meals::list, meals::create))
        .routes(routes!(meals::get, meals::update, meals::delete))
        .routes(routes!(meals::export))
        .routes(routes!(day_templates::list, day_templates::create))
        .routes(routes!(
            day_templates::get,
            day_templates::update,
            day_templates::delete
        ))
        .routes(routes!(week_plans::list, week_plans::create))
        .routes(routes!(
            week_plans::get,
            week_plans::update,
            week_plans::delete
        ))
        .routes(routes!(week_plans::set_default))
        .routes(routes!(stats::stats))
        .merge(uploads)
        .merge(photos)
}

/// The routes and their finished OpenAPI document: what every route of a kind can answer (401,
/// 422) is added once here, after all routes are collected.
fn split(routes: OpenApiRouter<AppState>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = routes.split_for_parts();
    common_responses::CommonResponses.modify(&mut doc);
    (routes, doc)
}

/// The OpenAPI document (also served at `/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    split(documented_routes(0)).1
}

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

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
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

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = split(documented_routes(state.config.max_upload_bytes));
    with_layers(
        routes
            .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi))
            .merge(crate::web::routes(state.config.max_upload_bytes)),
        state,
    )
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
        idempotency::layer,
    ));
    if let Some(cors) = cors(&state.config.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn(crate::web::headers::security_headers))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(platform::observe::observe))
        .with_state(state)
}
