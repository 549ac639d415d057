//! `/api/v1/auth/*`: the account routes of the original (§1.2) plus the ones people expect
//! (profile changes, password change, log out everywhere, account deletion).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_core::{email::Email, password::NewPassword, tz::TimeZoneName};
use mealframe_store::accounts::users::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::limits;
use crate::{
    accounts::{self, AccountError, KeepSessions, cookies},
    error::{ApiError, ApiResult},
    extract::{
        ApiJson, ClientIp, CurrentUser, FromBody, Issues, QueryParams, auth::same_origin_write,
    },
    state::AppState,
};

/// `{"message": "…"}`
#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    pub message: String,
}

/// A 302 redirect, as the original answers (axum's `Redirect::to` is a 303).
fn found(url: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, url.to_owned())]).into_response()
}

fn message(text: &str) -> Json<MessageResponse> {
    Json(MessageResponse {
        message: text.to_owned(),
    })
}

/// `{"access_token": "<jwt>", "token_type": "bearer"}`
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
}

fn tokens_response(state: &AppState, issued: accounts::IssuedTokens) -> Response {
    let mut resp = Json(TokenResponse {
        access_token: issued.access_token,
        token_type: "bearer",
    })
    .into_response();
    // A refresh within the reuse interval gets no new refresh token: keep the cookie as it is.
    if let Some(refresh) = &issued.refresh_token {
        resp.headers_mut().append(
            header::SET_COOKIE,
            cookies::set_refresh(&state.config, refresh),
        );
    }
    resp
}

// ----- request bodies -------------------------------------------------------------------------

/// `{email, password}` for registration (password 8–128 characters).
#[derive(Deserialize, ToSchema)]
pub struct CredentialsBody {
    pub email: String,
    pub password: String,
}

pub struct NewCredentials {
    pub email: Email,
    pub password: NewPassword,
}

impl FromBody for NewCredentials {
    type Raw = CredentialsBody;
    fn parse(raw: CredentialsBody, v: &mut Issues) -> Option<Self> {
        let email = v.email("email", &raw.email);
        let password = v.new_password("password", &raw.password);
        Some(NewCredentials {
            email: email?,
            password: password?,
        })
    }
}

/// Login: the address must look like one; the password is not checked against the policy.
pub struct LoginRequest {
    pub email: Email,
    pub password: String,
}

impl FromBody for LoginRequest {
    type Raw = CredentialsBody;
    fn parse(raw: CredentialsBody, v: &mut Issues) -> Option<Self> {
        Some(LoginRequest {
            email: v.email("email", &raw.email)?,
            password: raw.password,
        })
    }
}

/// `{email}`
#[derive(Deserialize, ToSchema)]
pub struct EmailBody {
    pub email: String,
}

pub struct EmailRequest(pub Email);

impl FromBody for EmailRequest {
    type Raw = EmailBody;
    fn parse(raw: EmailBody, v: &mut Issues) -> Option<Self> {
        v.email("email", &raw.email).map(EmailRequest)
    }
}

/// `{token}`
#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    pub token: String,
}

impl FromBody for TokenBody {
    type Raw = TokenBody;
    fn parse(raw: TokenBody, _v: &mut Issues) -> Option<Self> {
        Some(raw)
    }
}

/// `{token, password}` (password 8–128 characters)
#[derive(Deserialize, ToSchema)]
pub struct ResetBody {
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

pub struct ResetRequest {
    token: String,
    password: NewPassword,
}

impl FromBody for ResetRequest {
    type Raw = ResetBody;
    fn parse(raw: ResetBody, v: &mut Issues) -> Option<Self> {
        Some(ResetRequest {
            password: v.new_password("password", &raw.password)?,
            token: raw.token,
        })
    }
}

// ----- the original's routes ------------------------------------------------------------------

/// Create an account (201, no tokens). With mail configured, a verification link is sent and
/// login waits for it; without mail the account is usable at once.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = CredentialsBody,
    responses((status = 201, body = MessageResponse), (status = 409, description = "Email already registered"),
               (status = 422, description = "Validation error"), (status = 429, description = "Rate limited")))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewCredentials>,
) -> ApiResult<Response> {
    limits::enforce(&state, "register", state.config.register_rate, &ip).await?;
    accounts::register(&state, &body.email, &body.password).await?;
    let text = if state.verification_required() {
        "Account created. Please check your email to verify your account."
    } else {
        "Account created. You can now log in."
    };
    Ok((StatusCode::CREATED, message(text)).into_response())
}

/// Sign in with e-mail and password: an access token in the body, the refresh token as a cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = CredentialsBody,
    responses((status = 200, body = TokenResponse), (status = 401, description = "Invalid email or password"),
               (status = 403, description = "Disabled or not verified"), (status = 423, description = "Locked"),
               (status = 429, description = "Rate limited")))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    limits::enforce(&state, "login", state.config.login_rate, &ip).await?;
    let (_user, issued) = accounts::login(&state, body.email.as_str(), &body.password).await?;
    Ok(tokens_response(&state, issued))
}

/// Exchange the refresh cookie for a new access token and a new refresh cookie (rotation).
/// Presenting an already rotated token revokes every session of its user.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, description = "Missing, invalid, reused or expired refresh token")))]
pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let raw = cookies::read(&headers, cookies::REFRESH_COOKIE);
    let (_user, issued) = accounts::refresh(&state, raw).await?;
    Ok(tokens_response(&state, issued))
}

/// End this session: revoke the refresh cookie (and the web session cookie), clear both (204).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 403, description = "Sent from another site")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    // The cookies sign the caller in, so another site must not be able to end the session (a
    // client on an origin allowed by MEALFRAME_CORS_ORIGINS may).
    let allowed_origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| state.config.cors_origins.iter().any(|c| c == o));
    if !allowed_origin && !same_origin_write(&headers, &state.config.public_url) {
        return Err(ApiError::detail(
            StatusCode::FORBIDDEN,
            "Cross-site request refused",
        ));
    }
    let refresh = cookies::read(&headers, cookies::REFRESH_COOKIE);
    let session = cookies::read(&headers, cookies::SESSION_COOKIE);
    accounts::logout(&state, refresh, session).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
    if session.is_some() {
        resp.headers_mut()
            .append(header::SET_COOKIE, cookies::clear_session(&state.config));
    }
    Ok(resp)
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    /// `"email"` or `"google"`.
    pub auth_provider: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// IANA time zone that decides "today" (default `UTC`).
    pub timezone: String,
    /// Display preferences, e.g. `{"theme": "dark"}`.
    #[schema(value_type = Object)]
    pub preferences: Value,
    /// Whether the account has a password (Google-only accounts do not).
    pub has_password: bool,
}

pub fn me_body(u: &User) -> MeResponse {
    MeResponse {
        id: u.id.to_string(),
        email: u.email.clone(),
        email_verified: u.email_verified,
        auth_provider: u.auth_provider.as_str(),
        created_at: platform::timefmt::python_isoformat(u.created_at.into_inner()),
        timezone: u.timezone.clone(),
        preferences: u.preferences.clone(),
        has_password: u.password_hash.is_some(),
    }
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, description = "Not authenticated")))]
pub async fn me(user: CurrentUser) -> Json<MeResponse> {
    Json(me_body(&user.user))
}

/// Redeem the link from the verification e-mail.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = MessageResponse), (status = 400, description = "Invalid, used or expired token")))]
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult<Json<MessageResponse>> {
    accounts::verify_email(&state, &body.token).await?;
    Ok(message("Email verified successfully. You can now log in."))
}

/// Send a new verification link (always 200, whether or not the address has an account).
#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth", request_body = EmailBody,
    responses((status = 200, body = MessageResponse), (status = 429, description = "Rate limited")))]
pub async fn resend_verification(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(EmailRequest(email)): ApiJson<EmailRequest>,
) -> ApiResult<Json<MessageResponse>> {
    limits::enforce(
        &state,
        "password_reset",
        state.config.password_reset_rate,
        &ip,
    )
    .await?;
    accounts::resend_verification(&state, &email).await?;
    Ok(message(
        "If an unverified account exists with that email, a verification link has been sent.",
    ))
}

/// E-mail a password-reset link (always 200, whether or not the address has an account).
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth", request_body = EmailBody,
    responses((status = 200, body = MessageResponse), (status = 429, description = "Rate limited")))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(EmailRequest(email)): ApiJson<EmailRequest>,
) -> ApiResult<Json<MessageResponse>> {
    limits::enforce(
        &state,
        "password_reset",
        state.config.password_reset_rate,
        &ip,
    )
    .await?;
    accounts::forgot_password(&state, &email).await?;
    Ok(message(
        "If an account exists with that email, a password reset link has been sent.",
    ))
}

/// Set a new password with the link from the reset e-mail; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetBody,
    responses((status = 200, body = MessageResponse), (status = 400, description = "Invalid, used or expired token")))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> ApiResult<Json<MessageResponse>> {
    accounts::reset_password(&state, &body.token, &body.password).await?;
    Ok(message(
        "Password reset successfully. Please log in with your new password.",
    ))
}

/// `{"enabled": bool}`
#[derive(Serialize, ToSchema)]
pub struct EnabledResponse {
    pub enabled: bool,
}

#[utoipa::path(get, path = "/api/v1/auth/google/enabled", tag = "auth", responses((status = 200, body = EnabledResponse)))]
pub async fn google_enabled(State(state): State<AppState>) -> Json<EnabledResponse> {
    Json(EnabledResponse {
        enabled: state.google.is_some(),
    })
}

/// Start Google sign-in: 302 to the provider.
#[utoipa::path(get, path = "/api/v1/auth/google/authorize", tag = "auth",
    responses((status = 302, description = "Redirect to the provider"), (status = 404, description = "Google OAuth is not configured")))]
pub async fn google_authorize(State(state): State<AppState>) -> ApiResult<Response> {
    let google = state
        .google
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Google OAuth is not configured"))?;
    let url = accounts::google_signin::authorize_url(&state, google)
        .await
        .map_err(|e| match e {
            AccountError::Google(_) => ApiError::detail(
                StatusCode::BAD_GATEWAY,
                "Google sign-in is unavailable right now",
            ),
            other => other.into(),
        })?;
    Ok(found(&url))
}

/// Finish Google sign-in: sets the session cookies and redirects into the web app. Errors
/// redirect to `/oauth/callback?error=…`; no token is ever put in a URL.
#[utoipa::path(get, path = "/api/v1/auth/google/callback", tag = "auth",
    params(("code" = String, Query), ("state" = String, Query)),
    responses((status = 302, description = "Signed in (cookies set) or error redirect"),
              (status = 400, description = "Invalid OAuth state, or Google has not verified the address"),
              (status = 404, description = "Google OAuth is not configured"), (status = 422, description = "code/state missing")))]
pub async fn google_callback(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let google = state
        .google
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Google OAuth is not configured"))?;
    let mut v = Issues::query();
    let empty = Value::Object(Map::new());
    if q.get("code").is_none() {
        v.missing("code", &empty);
    }
    if q.get("state").is_none() {
        v.missing("state", &empty);
    }
    if !v.is_empty() {
        return Err(v.into_error());
    }
    let (code, st) = (
        q.get("code").unwrap_or_default(),
        q.get("state").unwrap_or_default(),
    );
    let error_redirect = |what: &str| {
        found(&format!(
            "{}/oauth/callback?error={what}",
            state.config.public_url
        ))
    };
    let user = match accounts::google_signin::callback(&state, google, code, st).await {
        Ok(u) => u,
        Err(
            e @ AccountError::Google(
                accounts::google::GoogleError::InvalidState
                | accounts::google::GoogleError::EmailNotVerified,
            ),
        ) => {
            return Err(e.into());
        }
        Err(AccountError::Google(e)) => {
            tracing::warn!(error = %e, "Google sign-in failed");
            return Ok(error_redirect("exchange_failed"));
        }
        Err(e) => return Err(e.into()),
    };
    if !user.is_active {
        return Ok(error_redirect("account_disabled"));
    }
    let accounts::google_signin::BrowserSession { session, refresh } =
        accounts::google_signin::start_browser_session(&state, &user).await?;
    let mut resp = found(&format!("{}/oauth/callback", state.config.public_url));
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::set_session(&state.config, &session),
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::set_refresh(&state.config, &refresh),
    );
    Ok(resp)
}

// ----- beyond the original --------------------------------------------------------------------

/// Profile changes: `{"timezone": "Europe/Ljubljana", "preferences": {"theme": "light"}}`; every
/// key optional. Known preferences: `theme` (`dark` | `light` | `system`).
#[derive(Deserialize, ToSchema)]
pub struct ProfileBody {
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Map<String, Value>>,
}

pub struct ProfileChange {
    pub timezone: Option<TimeZoneName>,
    pub preferences: Option<Map<String, Value>>,
}

const THEMES: [&str; 3] = ["dark", "light", "system"];

impl FromBody for ProfileChange {
    type Raw = ProfileBody;
    fn parse(raw: ProfileBody, v: &mut Issues) -> Option<Self> {
        let timezone = match &raw.timezone {
            Some(tz) => Some(v.timezone("timezone", tz)?),
            None => None,
        };
        if let Some(prefs) = &raw.preferences {
            for (key, value) in prefs {
                match key.as_str() {
                    "theme" => {
                        let _: Option<String> =
                            v.one_of(vec![json!("preferences"), json!("theme")], value, &THEMES);
                    }
                    other => v.push(
                        "extra_forbidden",
                        vec![json!("preferences"), json!(other)],
                        "Extra inputs are not permitted",
                        value.clone(),
                        None,
                    ),
                }
            }
        }
        Some(ProfileChange {
            timezone,
            preferences: raw.preferences,
        })
    }
}

#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), request_body = ProfileBody,
    responses((status = 200, body = MeResponse), (status = 422, description = "Unknown time zone or preference")))]
pub async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(change): ApiJson<ProfileChange>,
) -> ApiResult<Json<MeResponse>> {
    let updated = accounts::update_profile(
        &state,
        &user.user,
        &user.write(),
        change.timezone.as_ref(),
        change.preferences,
    )
    .await?;
    Ok(Json(me_body(&updated)))
}

/// `{current_password, new_password}`
#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    #[serde(default)]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

pub struct ChangePassword {
    current: String,
    new: NewPassword,
}

impl FromBody for ChangePassword {
    type Raw = ChangePasswordBody;
    fn parse(raw: ChangePasswordBody, v: &mut Issues) -> Option<Self> {
        Some(ChangePassword {
            new: v.new_password("new_password", &raw.new_password)?,
            current: raw.current_password,
        })
    }
}

/// `{"message", "access_token"}`: the message as in the original; the access token is an
/// addition (every earlier access token of the account has ended, this caller's too).
#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    pub message: &'static str,
    pub access_token: String,
}

/// Change the password (the current one is required when the account has one; an account
/// without one needs a sign-in within the last 10 minutes). Every other session of the account
/// ends and every access token with it; this caller stays signed in with the one answered.
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordBody,
    responses((status = 200, body = PasswordChanged), (status = 400, description = "Current password is incorrect"),
               (status = 403, description = "No password and no recent sign-in")))]
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult<Json<PasswordChanged>> {
    let keep = KeepSessions {
        refresh_token: accounts::refresh_token_id(
            &state,
            cookies::read(&headers, cookies::REFRESH_COOKIE),
        )
        .await?,
        web_session: user.web_session(),
    };
    let recent = user.signed_in_recently(state.now());
    let access_token =
        accounts::change_password(&state, &user.user, &body.current, &body.new, keep, recent)
            .await?;
    Ok(Json(PasswordChanged {
        message: "Password changed. Other sessions have been signed out.",
        access_token,
    }))
}

/// Sign out every session of this account, everywhere (204; clears this browser's cookies).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])), responses((status = 204)))]
pub async fn logout_all(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    accounts::logout_all(&state, user.id()).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_session(&state.config));
    Ok(resp)
}

/// `{"password": "…"}` — required when the account has a password.
#[derive(Deserialize, ToSchema, Default)]
pub struct DeleteAccountBody {
    #[serde(default)]
    pub password: Option<String>,
}

impl FromBody for DeleteAccountBody {
    type Raw = DeleteAccountBody;
    fn parse(raw: DeleteAccountBody, _v: &mut Issues) -> Option<Self> {
        Some(raw)
    }
}

/// Delete the account and every row of its data (204). Needs the password, or — for accounts
/// without one — a sign-in within the last 10 minutes.
#[utoipa::path(delete, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), request_body = DeleteAccountBody,
    responses((status = 204), (status = 400, description = "Password required"), (status = 403, description = "Wrong password or sign-in too old")))]
pub async fn delete_me(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The body is optional here (an account without a password sends none).
    let body: DeleteAccountBody = if body.iter().all(u8::is_ascii_whitespace) {
        DeleteAccountBody::default()
    } else {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        crate::extract::json::parse_value(crate::extract::json::json_body(ct, &body)?)?
    };
    let recent = user.signed_in_recently(state.now());
    accounts::delete_account(&state, &user.user, body.password.as_deref(), recent).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
    resp.headers_mut()
        .append(header::SET_COOKIE, cookies::clear_session(&state.config));
    Ok(resp)
}
