//! What every page shares: the layout context (title, active tab, theme, flash message, asset
//! URLs), page authentication, flash cookies, HTML error pages and the same-origin check for forms.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};

use super::assets;
use crate::{
    app::{AppError, error::refusal_message},
    error::ApiError,
    extract::{CurrentUser, auth::same_origin_write},
    state::AppState,
};

/// A message shown once on the next page (after a redirect).
#[derive(Debug, Clone)]
pub struct Flash {
    /// `ok` | `warn` | `error`
    pub kind: &'static str,
    pub text: String,
}

pub struct Layout {
    pub title: String,
    /// The active tab: `today`, `week`, `groceries`, `meals`, `setup`, `stats`, `settings`, or
    /// empty.
    pub nav: &'static str,
    pub signed_in: bool,
    pub email: String,
    /// `dark` | `light` | `system`
    pub theme: String,
    pub flash: Option<Flash>,
    /// `""`, `"wide"` or `"wider"`.
    pub width: &'static str,
    pub page: &'static str,
    pub css: String,
    pub js: String,
    /// `<script type="importmap">` content: versioned URLs of the ES modules.
    pub importmap: &'static str,
}

impl Layout {
    pub fn new(
        title: impl Into<String>,
        nav: &'static str,
        user: Option<&CurrentUser>,
        headers: &HeaderMap,
    ) -> Layout {
        let theme = user
            .and_then(|u| {
                u.user
                    .preferences
                    .get("theme")
                    .and_then(|t| t.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "dark".to_owned());
        Layout {
            title: title.into(),
            nav,
            signed_in: user.is_some(),
            email: user.map(|u| u.user.email.clone()).unwrap_or_default(),
            theme,
            flash: read_flash(headers),
            width: "",
            page: nav,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            importmap: assets::importmap(),
        }
    }

    pub fn wide(mut self) -> Layout {
        self.width = "wide";
        self
    }

    pub fn wider(mut self) -> Layout {
        self.width = "wider";
        self
    }

    /// As wide as the screen allows (the Week's seven columns).
    pub fn widest(mut self) -> Layout {
        self.width = "widest";
        self
    }

    pub fn icon(&self, name: &str) -> &'static str {
        super::icons::icon(name)
    }
}

const FLASH_COOKIE: &str = "mf_flash";

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = crate::accounts::cookies::read(headers, FLASH_COOKIE)?;
    let decoded: String = form_urlencoded::parse(format!("f={raw}").as_bytes())
        .next()?
        .1
        .into_owned();
    let (kind, text) = decoded.split_once(':')?;
    let kind = match kind {
        "ok" => "ok",
        "warn" => "warn",
        _ => "error",
    };
    Some(Flash {
        kind,
        text: text.chars().take(300).collect(),
    })
}

/// Redirect (303, so the browser follows with GET) and show `text` on the next page.
pub fn redirect_with(to: &str, kind: &'static str, text: &str) -> Response {
    let value: String =
        form_urlencoded::byte_serialize(format!("{kind}:{text}").as_bytes()).collect();
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FLASH_COOKIE}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Clear the flash cookie once a page has shown it.
pub fn consume_flash(mut resp: Response, layout_had_flash: bool) -> Response {
    if layout_had_flash {
        resp.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("mf_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    resp
}

/// Render a template into a response (no caching of personal pages by shared caches).
pub fn render<T: askama::Template>(page: &T, had_flash: bool) -> Response {
    match page.render() {
        Ok(html) => {
            let mut resp = Html(html).into_response();
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
            consume_flash(resp, had_flash)
        }
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// A failure shown as an HTML page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn internal(cause: impl std::fmt::Display) -> PageError {
        tracing::error!(cause = %cause, "page failed");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on our side.".into(),
        }
    }

    pub fn not_found() -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            message: "That page does not exist (or is not yours).".into(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let status = e.status();
        let message = match e {
            ApiError::Detail(_, m) => m.to_string(),
            ApiError::Coded(_, _, m) => m,
            ApiError::Unauthorized(m) => m.to_owned(),
            ApiError::Validation(issues) => issues
                .iter()
                .map(|i| i.msg.clone())
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::RateLimited { .. } => RATE_LIMITED.into(),
            ApiError::Internal(cause) => return PageError::internal(cause),
        };
        PageError { status, message }
    }
}

const RATE_LIMITED: &str = "Too many attempts; wait a minute and try again.";

/// A use case's error as a page: its own words (refusals worded as in the API), faults logged.
impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        let (status, message) = match e {
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m.into_owned()),
            AppError::Refused(r) => (StatusCode::BAD_REQUEST, refusal_message(&r)),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m.into_owned()),
            AppError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.into_owned()),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED.into()),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m.into_owned()),
            AppError::Internal(cause) => return PageError::internal(cause),
        };
        PageError { status, message }
    }
}

impl From<mealframe_store::StoreError> for PageError {
    fn from(e: mealframe_store::StoreError) -> Self {
        PageError::from(AppError::from(e))
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError::internal(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<!doctype html><html lang=\"en\" data-theme=\"dark\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"{}\"><title>MealFrame</title></head><body><main class=\"main\"><div class=\"card\"><h1>{}</h1><p>{}</p>\
             <p><a class=\"btn btn-outline\" href=\"/\">Back to Today</a></p></div></main></body></html>",
            assets::url("app.css"),
            self.status.canonical_reason().unwrap_or("Error"),
            html_escape(&self.message)
        );
        (self.status, Html(body)).into_response()
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A signed-in browser; anyone else is sent to the login page (and back afterwards).
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(u) => Ok(PageUser(u)),
            Err(ApiError::Detail(StatusCode::FORBIDDEN, m)) => Err(PageError {
                status: StatusCode::FORBIDDEN,
                message: m.to_string(),
            }
            .into_response()),
            Err(ApiError::Unauthorized(_)) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// Refuse form posts from other sites (public forms have no session to carry the check).
pub fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), PageError> {
    if same_origin_write(headers, &state.config.public_url) {
        Ok(())
    } else {
        Err(PageError {
            status: StatusCode::FORBIDDEN,
            message: "Cross-site form submission refused.".into(),
        })
    }
}
