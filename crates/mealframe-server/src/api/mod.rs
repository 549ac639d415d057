//! The JSON API: its route table and OpenAPI document (served at `/openapi.json`, Swagger UI at
//! `/docs`). The layer stack and the merge with the web pages are in `crate::router`.

pub mod analytics;
pub mod auth;
pub mod calendar;
pub mod capture;
pub mod captures;
mod common_responses;
pub mod daily;
pub mod day_templates;
pub mod export;
pub mod grocery;
pub mod health;
pub mod idempotency;
pub mod limits;
pub mod meal_types;
pub mod meals;
mod params;
pub(crate) mod planning_errors;
pub mod reminders;
pub mod stats;
pub mod week_plans;
pub mod weekly;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

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
        (name = "Grocery List", description = "What the plan needs from the shop, checkable"),
        (name = "Calendar Feed", description = "The secret iCalendar feed address (`GET /calendar/{token}.ics`)"),
        (name = "Reminders", description = "Web Push meal reminders and the planning nudge"),
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
        .routes(routes!(captures::create))
        .layer(DefaultBodyLimit::max(
            capture::MAX_IMAGE_BYTES.max(captures::MAX_CAPTURE_BYTES) + 64 * 1024,
        ));
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
        .routes(routes!(calendar::create_or_rotate, calendar::revoke))
        .routes(routes!(reminders::key))
        .routes(routes!(reminders::subscribe, reminders::unsubscribe))
        .routes(routes!(reminders::get_settings, reminders::put_settings))
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
        .routes(routes!(captures::retry))
        .routes(routes!(captures::photo, captures::delete_photo))
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
        .routes(routes!(grocery::get))
        .routes(routes!(grocery::put_item))
        .routes(routes!(grocery::add_extra))
        .routes(routes!(grocery::check_extra, grocery::delete_extra))
        .routes(routes!(grocery::put_ingredient))
        .routes(routes!(grocery::seen))
        .merge(uploads)
        .merge(photos)
}

/// The routes and their finished OpenAPI document: what every route of a kind can answer (401,
/// 422) is added once here, after all routes are collected.
pub fn split(
    routes: OpenApiRouter<AppState>,
) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = routes.split_for_parts();
    common_responses::CommonResponses.modify(&mut doc);
    (routes, doc)
}

/// The OpenAPI document (also served at `/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    split(documented_routes(0)).1
}
