//! The sign-in pages: login, registration, e-mail verification, forgotten and reset passwords,
//! logout and the landing page of Google sign-in. They call the same account flows as the API and
//! end in the web session cookie.

use askama::Template;
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use mealframe_core::{email::Email, password::NewPassword};

use super::forms::Fields;
use super::layout::{Layout, PageError, check_origin, redirect_with, render};
use crate::{
    accounts::{self, AccountError, cookies},
    app::limits,
    error::ApiError,
    extract::{ClientIp, CurrentUser, QueryParams},
    state::AppState,
};

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    email: String,
    error: Option<String>,
    google: bool,
}

#[derive(Template)]
#[template(path = "auth/register.html")]
struct RegisterPage {
    layout: Layout,
    email: String,
    errors: Vec<String>,
    google: bool,
}

#[derive(Template)]
#[template(path = "auth/message.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    text: String,
    link: String,
    link_text: String,
    resend_email: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    layout: Layout,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    errors: Vec<String>,
}

/// Only same-site relative paths may be redirected to after login: a `/` not followed by another
/// `/` or `\\`, and nothing but visible ASCII (browsers drop tabs and line breaks from a URL, so
/// `/\t/evil.example` would reach another host; control characters cannot be a header value).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && n.chars().all(|c| c.is_ascii_graphic() && c != '\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn with_status(status: StatusCode, resp: Response) -> Response {
    let mut resp = resp;
    *resp.status_mut() = status;
    resp
}

fn message(
    headers: &HeaderMap,
    heading: &str,
    text: &str,
    link: &str,
    link_text: &str,
) -> MessagePage {
    MessagePage {
        layout: Layout::new(heading.to_owned(), "", None, headers),
        heading: heading.into(),
        text: text.into(),
        link: link.into(),
        link_text: link_text.into(),
        resend_email: None,
    }
}

fn error_text(e: AccountError) -> (StatusCode, String) {
    let api = ApiError::from(e);
    let status = api.status();
    (status, PageError::from(api).message)
}

fn signed_in(state: &AppState, to: &str, session: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookies::set_session(&state.config, session),
    );
    resp
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: QueryParams,
    user: Option<CurrentUser>,
) -> Response {
    let next = safe_next(q.get("next"));
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    let error = q.get("error").map(|e| match e {
        "exchange_failed" => "Google sign-in did not work. Please try again.".to_owned(),
        "account_disabled" => "This account is disabled.".to_owned(),
        _ => "Sign-in failed. Please try again.".to_owned(),
    });
    let layout = Layout::new("Sign in", "", None, &headers);
    let had_flash = layout.flash.is_some();
    render(
        &LoginPage {
            layout,
            next,
            email: String::new(),
            error,
            google: state.google.is_some(),
        },
        had_flash,
    )
}

pub async fn login_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let next = safe_next(form.get("next"));
    let email = form.get("email").map(str::to_owned).unwrap_or_default();
    let page = |status: StatusCode, error: String| {
        let layout = Layout::new("Sign in", "", None, &headers);
        with_status(
            status,
            render(
                &LoginPage {
                    layout,
                    next: next.clone(),
                    email: email.clone(),
                    error: Some(error),
                    google: state.google.is_some(),
                },
                false,
            ),
        )
    };
    if let Err(e) = limits::per_client(&state, "login", state.config.login_rate, &ip.key()).await {
        let e = PageError::from(e);
        return page(e.status, e.message);
    }
    match accounts::login_session(&state, &email, form.get("password").unwrap_or("")).await {
        Ok((_, session)) => signed_in(&state, &next, &session),
        Err(e) => {
            let (status, text) = error_text(e);
            page(status, text)
        }
    }
}

pub async fn register_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Option<CurrentUser>,
) -> Response {
    if user.is_some() {
        return Redirect::to("/").into_response();
    }
    let layout = Layout::new("Create account", "", None, &headers);
    render(
        &RegisterPage {
            layout,
            email: String::new(),
            errors: vec![],
            google: state.google.is_some(),
        },
        false,
    )
}

pub async fn register_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let raw_email = form.get("email").map(str::to_owned).unwrap_or_default();
    let password = form.get("password").map(str::to_owned).unwrap_or_default();
    let mut errors = Vec::new();
    let email = Email::parse(&raw_email)
        .map_err(|e| errors.push(format!("E-mail: {e}")))
        .ok();
    let new_password = NewPassword::parse(&password)
        .map_err(|_| errors.push("The password must have 8 to 128 characters.".to_owned()))
        .ok();
    if form.get("confirm") != Some(password.as_str()) {
        errors.push("The passwords do not match.".to_owned());
    }
    let page = |status: StatusCode, errors: Vec<String>| {
        let layout = Layout::new("Create account", "", None, &headers);
        with_status(
            status,
            render(
                &RegisterPage {
                    layout,
                    email: raw_email.clone(),
                    errors,
                    google: state.google.is_some(),
                },
                false,
            ),
        )
    };
    let (Some(email), Some(password)) = (email, new_password) else {
        return page(StatusCode::UNPROCESSABLE_ENTITY, errors);
    };
    if !errors.is_empty() {
        return page(StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    if let Err(e) =
        limits::per_client(&state, "register", state.config.register_rate, &ip.key()).await
    {
        let e = PageError::from(e);
        return page(e.status, vec![e.message]);
    }
    match accounts::register(&state, &email, &password).await {
        Ok(user) if state.verification_required() => {
            let mut m = message(
                &headers,
                "Check your e-mail",
                &format!(
                    "We sent a verification link to {}. It expires in 24 hours.",
                    user.email
                ),
                "/login",
                "Go to sign in",
            );
            m.resend_email = Some(user.email);
            render(&m, false)
        }
        Ok(user) => match accounts::session_for(&state, user.id).await {
            Ok(session) => {
                let mut resp = redirect_with(
                    "/",
                    "ok",
                    "Welcome to MealFrame! Let's set up your first week.",
                );
                resp.headers_mut().append(
                    header::SET_COOKIE,
                    cookies::set_session(&state.config, &session),
                );
                resp
            }
            Err(e) => PageError::from(ApiError::from(e)).into_response(),
        },
        Err(e) => {
            let (status, text) = error_text(e);
            page(status, vec![text])
        }
    }
}

pub async fn verify_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: QueryParams,
) -> Response {
    let token = q.get("token").unwrap_or_default();
    match accounts::verify_email(&state, token).await {
        Ok(()) => render(
            &message(
                &headers,
                "E-mail verified",
                "Your address is confirmed. You can sign in now.",
                "/login",
                "Go to sign in",
            ),
            false,
        ),
        Err(e) => {
            let (status, text) = error_text(e);
            with_status(
                status,
                render(
                    &message(
                        &headers,
                        "Verification failed",
                        &text,
                        "/login",
                        "Go to sign in",
                    ),
                    false,
                ),
            )
        }
    }
}

pub async fn resend_verification(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    if let Err(e) = limits::per_client(
        &state,
        "password_reset",
        state.config.password_reset_rate,
        &ip.key(),
    )
    .await
    {
        let e = PageError::from(e);
        return with_status(
            e.status,
            render(
                &message(
                    &headers,
                    "Please wait",
                    &e.message,
                    "/login",
                    "Go to sign in",
                ),
                false,
            ),
        );
    }
    if let Ok(email) = Email::parse(form.get("email").unwrap_or_default())
        && let Err(e) = accounts::resend_verification(&state, &email).await
    {
        return PageError::from(ApiError::from(e)).into_response();
    }
    render(
        &message(
            &headers,
            "Check your e-mail",
            "If the account still needs verifying, a new link is on its way.",
            "/login",
            "Go to sign in",
        ),
        false,
    )
}

pub async fn forgot_form(headers: HeaderMap) -> Response {
    render(
        &ForgotPage {
            layout: Layout::new("Forgot password", "", None, &headers),
            error: None,
        },
        false,
    )
}

pub async fn forgot_submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let Ok(email) = Email::parse(form.get("email").unwrap_or_default()) else {
        let page = ForgotPage {
            layout: Layout::new("Forgot password", "", None, &headers),
            error: Some("Enter a valid e-mail address.".into()),
        };
        return with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page, false));
    };
    if let Err(e) = limits::per_client(
        &state,
        "password_reset",
        state.config.password_reset_rate,
        &ip.key(),
    )
    .await
    {
        let e = PageError::from(e);
        let page = ForgotPage {
            layout: Layout::new("Forgot password", "", None, &headers),
            error: Some(e.message),
        };
        return with_status(StatusCode::TOO_MANY_REQUESTS, render(&page, false));
    }
    if let Err(e) = accounts::forgot_password(&state, &email).await {
        return PageError::from(ApiError::from(e)).into_response();
    }
    render(
        &message(
            &headers,
            "Check your e-mail",
            "If an account exists with that address, we sent a link to reset the password. It is valid for one hour.",
            "/login",
            "Back to sign in",
        ),
        false,
    )
}

pub async fn reset_form(headers: HeaderMap, q: QueryParams) -> Response {
    let token = q.get("token").unwrap_or_default().to_owned();
    render(
        &ResetPage {
            layout: Layout::new("Reset password", "", None, &headers),
            token,
            errors: vec![],
        },
        false,
    )
}

pub async fn reset_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Fields,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let token = form.get("token").map(str::to_owned).unwrap_or_default();
    let password = form.get("password").map(str::to_owned).unwrap_or_default();
    let page = |status: StatusCode, errors: Vec<String>| {
        with_status(
            status,
            render(
                &ResetPage {
                    layout: Layout::new("Reset password", "", None, &headers),
                    token: token.clone(),
                    errors,
                },
                false,
            ),
        )
    };
    let Ok(new_password) = NewPassword::parse(&password) else {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["The password must have 8 to 128 characters.".into()],
        );
    };
    if form.get("confirm") != Some(password.as_str()) {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["The passwords do not match.".into()],
        );
    }
    match accounts::reset_password(&state, &token, &new_password).await {
        Ok(()) => render(
            &message(
                &headers,
                "Password changed",
                "Your password is set and every other session was signed out.",
                "/login",
                "Sign in",
            ),
            false,
        ),
        Err(e) => {
            let (status, text) = error_text(e);
            page(status, vec![text])
        }
    }
}

/// Sign out: end the session and refresh token, clear cookies and the browser cache.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    let refresh = cookies::read(&headers, cookies::REFRESH_COOKIE);
    let session = cookies::read(&headers, cookies::SESSION_COOKIE);
    if let Err(e) = accounts::logout(&state, refresh, session).await {
        return PageError::from(ApiError::from(e)).into_response();
    }
    let mut resp = redirect_with("/login", "ok", "You are signed out.");
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, cookies::clear_session(&state.config));
    h.append(header::SET_COOKIE, cookies::clear_refresh(&state.config));
    h.insert("clear-site-data", HeaderValue::from_static("\"cache\""));
    resp
}

/// Where Google sign-in lands: signed in → Today; an error → the login page explains.
pub async fn oauth_callback(q: QueryParams, user: Option<CurrentUser>) -> Response {
    match (q.get("error"), user) {
        (Some(e), _) => {
            let e: String = form_urlencoded::byte_serialize(e.as_bytes()).collect();
            Redirect::to(&format!("/login?error={e}")).into_response()
        }
        (None, Some(_)) => Redirect::to("/").into_response(),
        (None, None) => Redirect::to("/login").into_response(),
    }
}

pub fn not_found_page() -> Response {
    PageError::not_found().into_response()
}
