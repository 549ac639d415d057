//! `ApiError`: every failure of the JSON API, and the one place that turns it into the wire shapes
//! the original clients understand.
//!
//! The original has several coexisting error shapes and clients depend on each:
//! * `{"detail": "Meal not found"}` — most routers;
//! * `{"detail": {"error": {"code": "NOT_FOUND", "message": "…"}}}` — today/slots/weekly routers;
//! * `{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}` — request validation (422);
//! * `{"error": "Rate limit exceeded: 5 per 1 minute"}` — rate limits (429, plus `Retry-After`);
//! * `{"detail": "Internal Server Error"}` — anything unexpected (logged with the request id).

use std::borrow::Cow;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use mealframe_store::StoreError;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::{
    app::{AppError, error::refusal_message},
    extract::issue::Issue,
};

#[derive(Debug)]
pub enum ApiError {
    /// `{"detail": "<message>"}` with the given status.
    Detail(StatusCode, Cow<'static, str>),
    /// `{"detail": {"error": {"code", "message"}}}` (daily-use and weekly routers).
    Coded(StatusCode, &'static str, String),
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized(&'static str),
    /// 422 with pydantic-style issues.
    Validation(Vec<Issue>),
    /// 429 in the rate limiter's shape.
    RateLimited {
        limit: String,
        retry_after_secs: u64,
    },
    /// 500; the cause is logged, never sent.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn detail(status: StatusCode, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Detail(status, message.into())
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Detail(StatusCode::NOT_FOUND, message.into())
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Detail(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::Detail(StatusCode::CONFLICT, message.into())
    }

    /// The nested `NOT_FOUND` shape of the daily-use and weekly routers.
    pub fn coded_not_found(message: impl Into<String>) -> ApiError {
        ApiError::Coded(StatusCode::NOT_FOUND, "NOT_FOUND", message.into())
    }

    /// The nested `VALIDATION_ERROR` (400) shape of the daily-use and weekly routers.
    pub fn coded_invalid(message: impl Into<String>) -> ApiError {
        ApiError::Coded(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message.into())
    }

    pub fn coded_conflict(message: impl Into<String>) -> ApiError {
        ApiError::Coded(StatusCode::CONFLICT, "CONFLICT", message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    /// One validation issue (422).
    pub fn invalid(issue: Issue) -> ApiError {
        ApiError::Validation(vec![issue])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Detail(s, _) | ApiError::Coded(s, _, _) => *s,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A use case's error in the `{"detail": …}` shape most routers use. Routers with the nested
/// shape (daily use, weekly planning) map refusals with `api::planning_errors` first.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(m) => ApiError::not_found(m),
            AppError::Refused(r) => ApiError::bad_request(refusal_message(&r)),
            AppError::Conflict(m) => ApiError::conflict(m),
            AppError::Invalid(m) => ApiError::detail(StatusCode::UNPROCESSABLE_ENTITY, m),
            AppError::RateLimited {
                limit,
                retry_after_secs,
            } => ApiError::RateLimited {
                limit,
                retry_after_secs,
            },
            AppError::Unavailable(m) => ApiError::detail(StatusCode::SERVICE_UNAVAILABLE, m),
            AppError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // Call sites map the errors they expect (not found, a taken name) to specific answers;
        // whatever reaches this point was not expected and is a server fault.
        ApiError::Internal(format!("store: {e}"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

// The error shapes below exist for the OpenAPI document only (`api::common_responses` attaches
// them); `ApiError::into_response` writes the same shapes.

/// `{"detail": "<message>"}`: 401, and the errors of the auth, library, import and capture routes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    pub detail: String,
}

/// A 422: every problem found in the request (FastAPI's shape and name).
#[derive(ToSchema)]
#[schema(as = HTTPValidationError)]
#[allow(dead_code)]
pub struct ValidationErrorBody {
    pub detail: Vec<Issue>,
}

/// `{"detail": {"error": {"code", "message"}}}`: the errors of the daily-use and weekly routes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodedError {
    pub detail: CodedDetail,
}

/// The `detail` of a `CodedError`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodedDetail {
    pub error: CodedMessage,
}

/// The `error` of a `CodedError`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodedMessage {
    pub code: ErrorCode,
    pub message: String,
}

/// The code of a `CodedError`.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    NotFound,
    ValidationError,
    Conflict,
    Forbidden,
}

/// A 429: `{"error": "Rate limit exceeded: 5 per 1 minute"}`, with `Retry-After`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RateLimitError {
    pub error: String,
}

/// The body of a 500: what the original's exception handler answered, as JSON.
pub fn internal_error_body() -> Value {
    json!({"detail": "Internal Server Error"})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            ApiError::Detail(_, msg) => (status, Json(json!({ "detail": msg }))).into_response(),
            ApiError::Coded(_, code, message) => (
                status,
                Json(json!({ "detail": { "error": { "code": code, "message": message } } })),
            )
                .into_response(),
            ApiError::Unauthorized(msg) => {
                let mut r = (status, Json(json!({ "detail": msg }))).into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Validation(issues) => {
                (status, Json(json!({ "detail": issues }))).into_response()
            }
            ApiError::RateLimited {
                limit,
                retry_after_secs,
            } => {
                let mut r = (
                    status,
                    Json(json!({ "error": format!("Rate limit exceeded: {limit}") })),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                r
            }
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "unhandled error");
                (status, Json(internal_error_body())).into_response()
            }
        }
    }
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::{AccountError as A, google::GoogleError as G};
        let d = ApiError::detail;
        match e {
            A::EmailTaken => d(StatusCode::CONFLICT, "Email already registered"),
            A::InvalidCredentials => d(StatusCode::UNAUTHORIZED, "Invalid email or password"),
            A::Locked => d(
                StatusCode::LOCKED,
                "Account temporarily locked due to too many failed login attempts. Try again later.",
            ),
            A::Disabled => d(StatusCode::FORBIDDEN, "Account is disabled"),
            A::Unverified => d(
                StatusCode::FORBIDDEN,
                "Email not verified. Please check your inbox for a verification link.",
            ),
            A::NoRefreshToken => d(StatusCode::UNAUTHORIZED, "No refresh token provided"),
            A::InvalidRefreshToken => d(StatusCode::UNAUTHORIZED, "Invalid refresh token"),
            A::RefreshExpired => d(StatusCode::UNAUTHORIZED, "Refresh token expired"),
            A::UserGone => d(StatusCode::UNAUTHORIZED, "User not found or disabled"),
            A::InvalidVerificationToken => d(
                StatusCode::BAD_REQUEST,
                "Invalid or already used verification token",
            ),
            A::VerificationExpired => d(
                StatusCode::BAD_REQUEST,
                "Verification token has expired. Please request a new one.",
            ),
            A::InvalidResetToken => d(
                StatusCode::BAD_REQUEST,
                "Invalid or already used reset token",
            ),
            A::ResetExpired => d(
                StatusCode::BAD_REQUEST,
                "Reset token has expired. Please request a new one.",
            ),
            A::WrongCurrentPassword => d(StatusCode::BAD_REQUEST, "Current password is incorrect"),
            A::PasswordRequired => d(
                StatusCode::BAD_REQUEST,
                "Password is required to delete this account",
            ),
            A::WrongPassword => d(StatusCode::FORBIDDEN, "Password is incorrect"),
            A::ReauthRequired => d(
                StatusCode::FORBIDDEN,
                "Please sign in again (within the last 10 minutes) to do this",
            ),
            A::Google(G::InvalidState) => {
                d(StatusCode::BAD_REQUEST, "Invalid OAuth state parameter")
            }
            A::Google(G::EmailNotVerified) => d(
                StatusCode::BAD_REQUEST,
                "Google account email is not verified",
            ),
            A::Google(other) => ApiError::detail(
                StatusCode::BAD_GATEWAY,
                format!("Google sign-in failed: {other}"),
            ),
            A::Store(s) => ApiError::Internal(format!("store: {s}")),
            A::Internal(s) => ApiError::Internal(s),
        }
    }
}
