//! Settings (reached from the sidebar, and from Setup on phones): profile, time zone, theme,
//! password, sessions, data export and account deletion.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{password::NewPassword, tz::TimeZoneName};
use serde_json::{Value, json};

use super::{
    forms::{Fields, INVALID},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    accounts::{self, AccountError, KeepSessions, cookies},
    error::ApiError,
    state::AppState,
};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    email: String,
    provider: &'static str,
    member_since: String,
    timezone: String,
    theme: String,
    has_password: bool,
    zones: &'static [String],
    errors: Vec<String>,
}

/// Every IANA zone name the bundled database knows, sorted.
fn zones() -> &'static [String] {
    static Z: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    Z.get_or_init(|| {
        let mut all: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| n.contains('/') || n == "UTC")
            .collect();
        all.sort();
        all.dedup();
        all
    })
}

fn page_for(
    user: &crate::extract::CurrentUser,
    headers: &HeaderMap,
    errors: Vec<String>,
) -> SettingsPage {
    let u = &user.user;
    SettingsPage {
        layout: Layout::new("Settings", "settings", Some(user), headers).wide(),
        email: u.email.clone(),
        provider: u.auth_provider.as_str(),
        member_since: super::today::long_date(u.created_at.into_inner().date()),
        timezone: u.timezone.clone(),
        theme: u
            .preferences
            .get("theme")
            .and_then(Value::as_str)
            .unwrap_or("dark")
            .to_owned(),
        has_password: u.password_hash.is_some(),
        zones: zones(),
        errors,
    }
}

pub async fn page(PageUser(user): PageUser, headers: HeaderMap) -> Response {
    let p = page_for(&user, &headers, vec![]);
    let had_flash = p.layout.flash.is_some();
    render(&p, had_flash)
}

fn invalid(
    user: &crate::extract::CurrentUser,
    headers: &HeaderMap,
    errors: Vec<String>,
) -> Response {
    let mut resp = render(&page_for(user, headers, errors), false);
    *resp.status_mut() = INVALID;
    resp
}

pub async fn save_preferences(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let tz = match fields.get("timezone").map(TimeZoneName::parse) {
        Some(Some(tz)) => Some(tz),
        Some(None) => return Ok(invalid(&user, &headers, vec!["Unknown time zone.".into()])),
        None => None,
    };
    let theme = match fields.get("theme") {
        Some(t @ ("dark" | "light" | "system")) => Some(t),
        Some(_) => return Ok(invalid(&user, &headers, vec!["Unknown theme.".into()])),
        None => None,
    };
    let prefs = theme.map(|t| serde_json::Map::from_iter([("theme".to_owned(), json!(t))]));
    accounts::update_profile(&state, &user.user, &user.write(), tz.as_ref(), prefs)
        .await
        .map_err(ApiError::from)?;
    Ok(redirect_with("/settings", "ok", "Settings saved."))
}

pub async fn change_password(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let new = fields.get("new_password").unwrap_or_default();
    if fields.get("confirm").unwrap_or_default() != new {
        return Ok(invalid(
            &user,
            &headers,
            vec!["The new passwords do not match.".into()],
        ));
    }
    let Ok(new) = NewPassword::parse(new) else {
        return Ok(invalid(
            &user,
            &headers,
            vec!["The new password must have 8 to 128 characters.".into()],
        ));
    };
    let keep = KeepSessions {
        refresh_token: None,
        web_session: user.web_session(),
    };
    match accounts::change_password(
        &state,
        &user.user,
        fields.get("current_password").unwrap_or_default(),
        &new,
        keep,
        user.signed_in_recently(state.now()),
    )
    .await
    {
        Ok(_) => Ok(redirect_with(
            "/settings",
            "ok",
            "Password changed. Other devices were signed out.",
        )),
        Err(AccountError::WrongCurrentPassword) => Ok(invalid(
            &user,
            &headers,
            vec!["The current password is not right.".into()],
        )),
        Err(e) => Err(PageError::from(ApiError::from(e))),
    }
}

pub async fn logout_all(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    accounts::logout_all(&state, user.id())
        .await
        .map_err(|e| PageError::from(ApiError::from(e)))?;
    let mut resp = redirect_with("/login", "ok", "Signed out on every device.");
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_session(&state.config));
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
    Ok(resp)
}

pub async fn delete_account(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let recent = user.signed_in_recently(state.now());
    match accounts::delete_account(&state, &user.user, fields.get("password"), recent).await {
        Ok(()) => {
            let mut resp =
                redirect_with("/login", "ok", "Your account and all its data are deleted.");
            resp.headers_mut()
                .append(header::SET_COOKIE, cookies::clear_session(&state.config));
            resp.headers_mut()
                .append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
            resp.headers_mut().insert(
                "clear-site-data",
                HeaderValue::from_static("\"cache\", \"storage\""),
            );
            Ok(resp.into_response())
        }
        Err(
            e @ (AccountError::WrongPassword
            | AccountError::PasswordRequired
            | AccountError::ReauthRequired),
        ) => Ok(invalid(
            &user,
            &headers,
            vec![PageError::from(ApiError::from(e)).message],
        )),
        Err(e) => Err(PageError::from(ApiError::from(e))),
    }
}
