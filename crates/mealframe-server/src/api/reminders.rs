//! Reminders through the API (issue 13): the server's VAPID public key for
//! `pushManager.subscribe`, a device's push subscription (store it to turn reminders on for that
//! device, delete it to turn them off), and the user's reminder settings (lead time, planning
//! nudge). The sending itself is background work (`app::reminders::send_due`).

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use mealframe_core::meal_time::MealTime;
use mealframe_store::accounts::reminders::{NudgeChannel, ReminderSettings};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    app::{self, AppError, reminders::DeviceSubscription},
    error::{ApiError, ApiResult},
    extract::{ApiJson, CurrentUser, FromBody, Issues},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct PushKeyResponse {
    /// The VAPID public key (base64url, uncompressed P-256 point): the
    /// `applicationServerKey` of `pushManager.subscribe`.
    pub public_key: String,
}

/// The key browsers subscribe with. Public: it identifies this server to push services.
#[utoipa::path(get, path = "/api/v1/push/key", tag = "Reminders",
    responses((status = 200, body = PushKeyResponse)))]
pub async fn key(State(state): State<AppState>) -> Json<PushKeyResponse> {
    Json(PushKeyResponse {
        public_key: app::reminders::public_key(&state),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes).
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// `PushSubscription.toJSON()` as the browser gives it (`expirationTime` is ignored), with an
/// optional device label.
#[derive(Deserialize, ToSchema)]
pub struct SubscriptionBody {
    /// The push service URL (https).
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// A label for Settings, e.g. "Firefox on Linux" (at most 120 characters kept).
    #[serde(default)]
    pub user_agent: Option<String>,
}

impl FromBody for DeviceSubscription {
    type Raw = SubscriptionBody;
    fn parse(raw: SubscriptionBody, v: &mut Issues) -> Option<Self> {
        let endpoint = v.text("endpoint", raw.endpoint.trim(), 1, Some(2048))?;
        let p256dh = v.text(
            vec![Value::from("keys"), Value::from("p256dh")],
            raw.keys.p256dh.trim(),
            1,
            Some(200),
        )?;
        let auth = v.text(
            vec![Value::from("keys"), Value::from("auth")],
            raw.keys.auth.trim(),
            1,
            Some(200),
        )?;
        Some(DeviceSubscription {
            endpoint,
            p256dh,
            auth,
            user_agent: raw.user_agent.unwrap_or_default(),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionResponse {
    pub endpoint: String,
}

/// Turn reminders on for this device: store its push subscription (201; 200 when it was
/// already stored). Keys of the wrong length or an endpoint that is not https → 422.
#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "Reminders", security(("bearer" = [])),
    request_body = SubscriptionBody,
    responses((status = 201, body = SubscriptionResponse, description = "Stored"),
              (status = 200, body = SubscriptionResponse, description = "Already stored (keys updated)"),
              (status = 422)))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(sub): ApiJson<DeviceSubscription>,
) -> ApiResult<Response> {
    let new = app::reminders::subscribe(&state, &user.write(), &sub)
        .await
        .map_err(|e| {
            as_validation(e, |field| match field {
                "keys.p256dh" => (
                    vec![Value::from("keys"), Value::from("p256dh")],
                    Value::from(sub.p256dh.as_str()),
                ),
                "keys.auth" => (
                    vec![Value::from("keys"), Value::from("auth")],
                    Value::from(sub.auth.as_str()),
                ),
                _ => (
                    vec![Value::from("endpoint")],
                    Value::from(sub.endpoint.as_str()),
                ),
            })
        })?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(SubscriptionResponse {
            endpoint: sub.endpoint,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct EndpointBody {
    pub endpoint: String,
}

pub struct Endpoint(String);

impl FromBody for Endpoint {
    type Raw = EndpointBody;
    fn parse(raw: EndpointBody, v: &mut Issues) -> Option<Self> {
        Some(Endpoint(v.text(
            "endpoint",
            raw.endpoint.trim(),
            1,
            Some(2048),
        )?))
    }
}

/// Turn reminders off for the device with this endpoint (204, also when it had none).
#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "Reminders", security(("bearer" = [])),
    request_body = EndpointBody,
    responses((status = 204, description = "No longer subscribed"), (status = 422)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(Endpoint(endpoint)): ApiJson<Endpoint>,
) -> ApiResult<StatusCode> {
    app::reminders::unsubscribe(&state, &user.write(), &endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reminder settings.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReminderSettingsBody {
    /// Minutes before a meal's time that its reminder is sent (0–240). Default 10.
    #[schema(minimum = 0, maximum = 240, example = 10)]
    #[schema(value_type = i32)]
    pub lead_minutes: Value,
    /// ISO weekday of the planning nudge: 1 = Monday … 7 = Sunday. Default 7.
    #[schema(minimum = 1, maximum = 7, example = 7)]
    #[schema(value_type = i32)]
    pub nudge_weekday: Value,
    /// Local time of the planning nudge, `"HH:MM"`. Default `"18:00"`.
    #[schema(value_type = String, example = "18:00")]
    pub nudge_time: Value,
    /// How the nudge arrives: `push`, `email`, `both` or `off`. Default `push`.
    #[schema(value_type = String, example = "push")]
    pub nudge_channel: Value,
    /// Local time of a daily e-mail with the day's plan, `"HH:MM"`; null or absent: none
    /// (the default).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "07:00")]
    pub digest_time: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct ReminderSettingsResponse {
    pub lead_minutes: i32,
    pub nudge_weekday: i32,
    pub nudge_time: String,
    pub nudge_channel: String,
    /// The daily e-mail digest's time, or null.
    pub digest_time: Option<String>,
    /// How many devices of this user receive push reminders.
    pub devices: usize,
}

impl FromBody for ReminderSettings {
    type Raw = ReminderSettingsBody;
    fn parse(raw: ReminderSettingsBody, v: &mut Issues) -> Option<Self> {
        let lead = v.int(
            "lead_minutes",
            &raw.lead_minutes,
            Some(0),
            Some(app::reminders::MAX_LEAD_MINUTES.into()),
        );
        let weekday = v.int("nudge_weekday", &raw.nudge_weekday, Some(1), Some(7));
        let time = v.meal_time("nudge_time", &raw.nudge_time);
        let channel = v
            .one_of::<String>(
                "nudge_channel",
                &raw.nudge_channel,
                &["push", "email", "both", "off"],
            )
            .and_then(|c| NudgeChannel::parse(&c));
        let digest = match raw.digest_time.filter(|t| !t.is_null()) {
            Some(t) => v.meal_time("digest_time", &t).map(Some),
            None => Some(None),
        };
        Some(ReminderSettings {
            lead_minutes: lead? as i32,
            nudge_weekday: weekday? as i32,
            nudge_minutes: time?.minutes(),
            nudge_channel: channel?,
            digest_minutes: digest?.map(MealTime::minutes),
        })
    }
}

fn settings_response(s: &ReminderSettings, devices: usize) -> ReminderSettingsResponse {
    ReminderSettingsResponse {
        lead_minutes: s.lead_minutes,
        nudge_weekday: s.nudge_weekday,
        nudge_time: MealTime::from_minutes(s.nudge_minutes)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        nudge_channel: s.nudge_channel.as_str().to_owned(),
        digest_time: s
            .digest_minutes
            .and_then(MealTime::from_minutes)
            .map(|t| t.to_string()),
        devices,
    }
}

#[utoipa::path(get, path = "/api/v1/reminders/settings", tag = "Reminders", security(("bearer" = [])),
    responses((status = 200, body = ReminderSettingsResponse)))]
pub async fn get_settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<ReminderSettingsResponse>> {
    let (s, devices) = app::reminders::settings(&state, user.id()).await?;
    Ok(Json(settings_response(&s, devices.len())))
}

/// Replace the reminder settings (every field required).
#[utoipa::path(put, path = "/api/v1/reminders/settings", tag = "Reminders", security(("bearer" = [])),
    request_body = ReminderSettingsBody,
    responses((status = 200, body = ReminderSettingsResponse), (status = 422)))]
pub async fn put_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(s): ApiJson<ReminderSettings>,
) -> ApiResult<Json<ReminderSettingsResponse>> {
    app::reminders::put_settings(&state, &user.write(), &s)
        .await
        .map_err(|e| as_validation(e, |field| (vec![Value::from(field)], Value::Null)))?;
    let (s, devices) = app::reminders::settings(&state, user.id()).await?;
    Ok(Json(settings_response(&s, devices.len())))
}

/// A rule the use case checks (an endpoint the server will not post to, a key off the curve, a
/// setting out of range) answered in the validation shape every 422 of the API has, located at
/// the field its message starts with (`keys.p256dh must …` → `["body", "keys", "p256dh"]`).
fn as_validation(e: AppError, locate: impl Fn(&str) -> (Vec<Value>, Value)) -> ApiError {
    match e {
        AppError::Invalid(message) => {
            let field = message.split_whitespace().next().unwrap_or("");
            let (loc, input) = locate(field);
            let mut v = Issues::body();
            v.push("value_error", loc, message.into_owned(), input, None);
            v.into_error()
        }
        other => other.into(),
    }
}
