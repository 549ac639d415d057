//! The web app: server-rendered pages (askama), one stylesheet, small ES modules, a web manifest
//! and a service worker, all embedded in the binary. Pages call the same store and account
//! functions as the JSON API (never the API over HTTP); the Today page's JavaScript calls the JSON
//! API with the session cookie so that its actions can be queued offline.

pub mod assets;
pub mod auth_pages;
pub mod calendar;
pub mod cards;
pub mod forms;
pub mod grocery;
pub mod headers;
pub mod icons;
pub mod layout;
pub mod meals;
pub mod settings;
pub mod setup;
pub mod stats;
pub mod today;
pub mod week;

use axum::{
    Router,
    extract::{FromRequestParts, Request, State},
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};

use crate::state::AppState;

/// The glyph of a completion status (also used by `today.js`).
pub fn glyph(status: &str) -> &'static str {
    match status {
        "followed" => "✓",
        "equivalent" => "≈",
        "skipped" => "–",
        "deviated" => "✕",
        "social" => "☺",
        _ => "",
    }
}

/// The five statuses with the word a button shows, in the order the sheets list them.
pub const STATUS_WORDS: [(&str, &str); 5] = [
    ("followed", "Followed"),
    ("equivalent", "Equivalent"),
    ("skipped", "Skipped"),
    ("deviated", "Deviated"),
    ("social", "Social"),
];

/// Whether a request is a browser navigation (wants HTML).
pub fn wants_html(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// `GET /` for browsers: the Today page (or the login page).
pub async fn root_page(state: AppState, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    match layout::PageUser::from_request_parts(&mut parts, &state).await {
        Ok(user) => match today::page(State(state), user, parts.headers).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        },
        Err(redirect) => redirect,
    }
}

pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/login",
            get(auth_pages::login_form).post(auth_pages::login_submit),
        )
        .route(
            "/register",
            get(auth_pages::register_form).post(auth_pages::register_submit),
        )
        .route("/verify-email", get(auth_pages::verify_email))
        .route(
            "/resend-verification",
            post(auth_pages::resend_verification),
        )
        .route(
            "/forgot-password",
            get(auth_pages::forgot_form).post(auth_pages::forgot_submit),
        )
        .route(
            "/reset-password",
            get(auth_pages::reset_form).post(auth_pages::reset_submit),
        )
        .route("/logout", post(auth_pages::logout))
        .route("/oauth/callback", get(auth_pages::oauth_callback))
        .route("/setup/starter", post(today::install_starter))
        .route("/groceries", get(grocery::page))
        .route("/meals", get(meals::list))
        .route("/meals/new", get(meals::new_form).post(meals::create))
        .route(
            "/meals/import",
            get(meals::import_form).post(meals::import).layer(
                axum::extract::DefaultBodyLimit::max(upload_limit + 64 * 1024),
            ),
        )
        .route("/meals/{id}/edit", get(meals::edit_form))
        .route("/meals/{id}", axum::routing::post(meals::update))
        .route("/meals/{id}/delete", post(meals::delete))
        .route("/meals/{id}/retry", post(meals::retry_capture))
        .route("/setup", get(setup::page))
        .route(
            "/setup/types/new",
            get(setup::new_type).post(setup::save_type),
        )
        .route(
            "/setup/types/{id}",
            get(setup::edit_type).post(setup::save_type),
        )
        .route("/setup/types/{id}/delete", post(setup::delete_type))
        .route(
            "/setup/templates/new",
            get(setup::new_template).post(setup::save_template),
        )
        .route(
            "/setup/templates/{id}",
            get(setup::edit_template).post(setup::save_template),
        )
        .route("/setup/templates/{id}/delete", post(setup::delete_template))
        .route(
            "/setup/plans/new",
            get(setup::new_plan).post(setup::save_plan),
        )
        .route(
            "/setup/plans/{id}",
            get(setup::edit_plan).post(setup::save_plan),
        )
        .route("/setup/plans/{id}/default", post(setup::set_default_plan))
        .route("/setup/plans/{id}/delete", post(setup::delete_plan))
        .route("/stats", get(stats::page))
        .route("/settings", get(settings::page))
        .route("/settings/preferences", post(settings::save_preferences))
        .route("/settings/password", post(settings::change_password))
        .route("/settings/logout-all", post(settings::logout_all))
        .route("/settings/delete", post(settings::delete_account))
        .route("/settings/reminders", post(settings::save_reminders))
        .route("/settings/calendar", post(settings::create_calendar_feed))
        .route(
            "/settings/calendar/revoke",
            post(settings::revoke_calendar_feed),
        )
        .route("/calendar/{file}", get(calendar::feed))
        .route("/week", get(week::page))
        .route("/week/generate", post(week::generate))
        .route("/week/day/{date}/template", post(week::set_template))
        .route("/week/day/{date}/override", post(week::set_override))
        .route("/week/day/{date}/restore", post(week::clear_override))
        .route("/week/slot/{slot}/status", post(week::mark_slot))
        .route("/week/slot/{slot}/reassign", post(week::reassign_slot))
        .route("/static/{*path}", get(assets::static_file))
        .route("/sw.js", get(assets::service_worker))
        .route("/manifest.webmanifest", get(assets::manifest))
}
