//! Settings (reached from the sidebar, and from Setup on phones): profile, time zone, theme,
//! reminders, the calendar feed, password, sessions, data export and account deletion.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{meal_time::MealTime, password::NewPassword, tz::TimeZoneName};
use mealframe_store::accounts::reminders::{NudgeChannel, ReminderSettings};
use serde_json::{Value, json};

use super::{
    forms::{Fields, INVALID},
    layout::{Layout, PageError, PageUser, check_origin, redirect_with, render},
};
use crate::{
    accounts::{self, AccountError, KeepSessions, cookies},
    app,
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
    /// The user has a calendar feed (its URL is shown only right after creating or rotating it).
    feed_active: bool,
    /// The feed URL just created or rotated: shown once.
    feed_url: Option<String>,
    /// This month's AI capture use, when AI capture is on: `(calls, "$0.12")`.
    ai_month: Option<(i64, String)>,
    /// The VAPID public key this browser subscribes with (reminders on this device).
    push_key: String,
    /// Devices of this user that receive push reminders.
    push_devices: usize,
    lead_minutes: i32,
    nudge_weekday: i32,
    nudge_time: String,
    nudge_channel: &'static str,
    /// The daily digest's time, empty when off.
    digest_time: String,
    errors: Vec<String>,
}

/// The nudge weekday choices: ISO number and name.
const WEEKDAYS: [(i32, &str); 7] = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
];

/// The nudge channel choices: value and label.
const CHANNELS: [(&str, &str); 4] = [
    ("push", "Notification"),
    ("email", "E-mail"),
    ("both", "Notification and e-mail"),
    ("off", "Off"),
];

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

async fn page_for(
    state: &AppState,
    user: &crate::extract::CurrentUser,
    headers: &HeaderMap,
    errors: Vec<String>,
) -> Result<SettingsPage, PageError> {
    let u = &user.user;
    let (reminders, devices) = app::reminders::settings(state, user.id()).await?;
    Ok(SettingsPage {
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
        feed_active: app::calendar::has_feed(state, user.id()).await?,
        feed_url: None,
        ai_month: match state.vision {
            Some(_) => {
                let t = app::capture_queue::month_usage(state, user.id()).await?;
                Some((t.calls, format!("${:.2}", t.cost_micro_usd as f64 / 1e6)))
            }
            None => None,
        },
        push_key: app::reminders::public_key(state),
        push_devices: devices.len(),
        lead_minutes: reminders.lead_minutes,
        nudge_weekday: reminders.nudge_weekday,
        nudge_time: MealTime::from_minutes(reminders.nudge_minutes)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        nudge_channel: reminders.nudge_channel.as_str(),
        digest_time: reminders
            .digest_minutes
            .and_then(MealTime::from_minutes)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        errors,
    })
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let p = page_for(&state, &user, &headers, vec![]).await?;
    let had_flash = p.layout.flash.is_some();
    Ok(render(&p, had_flash))
}

async fn invalid(
    state: &AppState,
    user: &crate::extract::CurrentUser,
    headers: &HeaderMap,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let mut resp = render(&page_for(state, user, headers, errors).await?, false);
    *resp.status_mut() = INVALID;
    Ok(resp)
}

/// Create or rotate the calendar feed: the page comes back with the new URL, shown this once
/// (only its hash is stored), and is never stored by a cache.
pub async fn create_calendar_feed(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let new = app::calendar::create_or_rotate(&state, &user.write()).await?;
    let mut p = page_for(&state, &user, &headers, vec![]).await?;
    p.feed_url = Some(app::calendar::feed_url(&state, &new.token));
    p.layout.flash = Some(super::layout::Flash {
        kind: "ok",
        text: if new.rotated {
            "New feed address made; the old one no longer works.".into()
        } else {
            "Calendar feed created.".into()
        },
    });
    let mut resp = render(&p, true);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

pub async fn revoke_calendar_feed(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    app::calendar::revoke(&state, &user.write()).await?;
    Ok(redirect_with(
        "/settings",
        "ok",
        "Calendar feed turned off; its address no longer works.",
    ))
}

/// Save the reminder settings (lead time, planning nudge day, time and channel, daily e-mail
/// digest time): a plain form,
/// so it works without JavaScript; turning reminders on for a device needs the browser's push
/// subscription, so that part is `static/app.js` and the JSON API.
pub async fn save_reminders(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    fields: Fields,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let mut errors = Vec::new();
    let lead = fields
        .get("lead_minutes")
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|m| (0..=app::reminders::MAX_LEAD_MINUTES).contains(m));
    if lead.is_none() {
        errors.push(format!(
            "Remind me: a number of minutes from 0 to {}.",
            app::reminders::MAX_LEAD_MINUTES
        ));
    }
    let weekday = fields
        .get("nudge_weekday")
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|d| (1..=7).contains(d));
    if weekday.is_none() {
        errors.push("Choose a day for the planning reminder.".into());
    }
    let time = fields
        .get("nudge_time")
        .and_then(|v| MealTime::parse(v.trim()));
    if time.is_none() {
        errors.push("The planning reminder needs a time such as 18:00.".into());
    }
    let channel = fields.get("nudge_channel").and_then(NudgeChannel::parse);
    if channel.is_none() {
        errors.push("Choose how the planning reminder reaches you.".into());
    }
    // Empty: no daily digest.
    let digest = match fields
        .get("digest_time")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Some(None),
        Some(v) => MealTime::parse(v).map(Some),
    };
    if digest.is_none() {
        errors.push("The daily e-mail needs a time such as 07:00, or leave it empty.".into());
    }
    let (Some(lead_minutes), Some(nudge_weekday), Some(time), Some(nudge_channel), Some(digest)) =
        (lead, weekday, time, channel, digest)
    else {
        return invalid(&state, &user, &headers, errors).await;
    };
    let settings = ReminderSettings {
        lead_minutes,
        nudge_weekday,
        nudge_minutes: time.minutes(),
        nudge_channel,
        digest_minutes: digest.map(MealTime::minutes),
    };
    app::reminders::put_settings(&state, &user.write(), &settings).await?;
    Ok(redirect_with("/settings", "ok", "Reminder settings saved."))
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
        Some(None) => {
            return invalid(&state, &user, &headers, vec!["Unknown time zone.".into()]).await;
        }
        None => None,
    };
    let theme = match fields.get("theme") {
        Some(t @ ("dark" | "light" | "system")) => Some(t),
        Some(_) => return invalid(&state, &user, &headers, vec!["Unknown theme.".into()]).await,
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
        return invalid(
            &state,
            &user,
            &headers,
            vec!["The new passwords do not match.".into()],
        )
        .await;
    }
    let Ok(new) = NewPassword::parse(new) else {
        return invalid(
            &state,
            &user,
            &headers,
            vec!["The new password must have 8 to 128 characters.".into()],
        )
        .await;
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
        Err(AccountError::WrongCurrentPassword) => {
            invalid(
                &state,
                &user,
                &headers,
                vec!["The current password is not right.".into()],
            )
            .await
        }
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
        ) => {
            invalid(
                &state,
                &user,
                &headers,
                vec![PageError::from(ApiError::from(e)).message],
            )
            .await
        }
        Err(e) => Err(PageError::from(ApiError::from(e))),
    }
}
