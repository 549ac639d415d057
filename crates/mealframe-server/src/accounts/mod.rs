//! Accounts: registration, e-mail verification, login with lockout, refresh-token rotation,
//! password reset and change, sessions, account deletion, Google sign-in.
//!
//! These are the flows; the JSON API (`api::auth`) and the web pages call the same functions.
//! Each mutation is one transaction. Failed logins are recorded in their own transaction so that
//! the lockout really persists (a deliberate difference from the original).

pub mod cookies;
pub mod google;
pub mod google_signin;
pub mod jwt;
pub mod passwords;
pub mod secret_tokens;

use dbkit::{Timestamp, Tx};
use mealframe_core::{email::Email, ids::UserId, password::NewPassword, tz::TimeZoneName};
use mealframe_store::{
    StoreError,
    accounts::{
        login_attempts, mail_outbox, push_subscriptions, sessions,
        tokens::{self, EmailTokenKind, RevokeReason},
        users::{self, AuthProvider, NewUser, User},
    },
};
use secret_tokens::{new_token, sha256_hex};
use uuid::Uuid;

use crate::{
    app::Write,
    mail::{self, outbox},
    state::AppState,
};

/// Why an account operation was refused. Mapped to the wire in `error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email already registered")]
    EmailTaken,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account locked")]
    Locked,
    #[error("account disabled")]
    Disabled,
    #[error("email not verified")]
    Unverified,
    #[error("no refresh token")]
    NoRefreshToken,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("refresh token expired")]
    RefreshExpired,
    #[error("user gone or disabled")]
    UserGone,
    #[error("invalid verification token")]
    InvalidVerificationToken,
    #[error("verification token expired")]
    VerificationExpired,
    #[error("invalid reset token")]
    InvalidResetToken,
    #[error("reset token expired")]
    ResetExpired,
    #[error("current password is wrong")]
    WrongCurrentPassword,
    #[error("password required")]
    PasswordRequired,
    #[error("password is wrong")]
    WrongPassword,
    #[error("recent sign-in required")]
    ReauthRequired,
    #[error("google: {0}")]
    Google(#[from] google::GoogleError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        AccountError::Store(e.into())
    }
}

pub type AccountResult<T> = Result<T, AccountError>;

const VERIFICATION_TTL: time::Duration = time::Duration::hours(24);
const RESET_TTL: time::Duration = time::Duration::hours(1);

/// How long a rotated refresh token presented again counts as a concurrent refresh (several tabs
/// restoring a session at once) rather than theft. It then gets an access token of the same
/// sign-in but no refresh token (the browser already holds the successor), and nothing is revoked.
pub const REFRESH_REUSE_INTERVAL: time::Duration = time::Duration::seconds(10);

/// A fresh access token plus the raw refresh token for the cookie (none for a refresh within
/// [`REFRESH_REUSE_INTERVAL`] of its rotation).
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

fn ttl(d: std::time::Duration) -> time::Duration {
    time::Duration::seconds(d.as_secs() as i64)
}

/// A new refresh token and an access token, both of the sign-in at `authenticated_at`.
async fn issue_tokens(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    authenticated_at: Option<Timestamp>,
    now: Timestamp,
) -> AccountResult<IssuedTokens> {
    let refresh = new_token();
    let expires = now.plus(ttl(state.config.refresh_token_ttl));
    tokens::insert_refresh(
        &mut tx.conn(),
        user.id,
        &sha256_hex(&refresh),
        expires,
        authenticated_at,
        now,
    )
    .await?;
    Ok(IssuedTokens {
        access_token: access_token(state, user, authenticated_at, now),
        refresh_token: Some(refresh),
    })
}

/// An access token for `user` under their current token generation.
pub fn access_token(
    state: &AppState,
    user: &User,
    authenticated_at: Option<Timestamp>,
    now: Timestamp,
) -> String {
    state.jwt.issue(
        user.id,
        &user.email,
        user.token_generation,
        authenticated_at,
        now,
    )
}

/// Start a web session (the pages' cookie); returns the raw cookie value.
pub async fn start_web_session(
    state: &AppState,
    tx: &mut Tx,
    user: UserId,
    now: Timestamp,
) -> AccountResult<String> {
    let raw = new_token();
    let expires = now.plus(ttl(state.config.session_ttl));
    sessions::insert(&mut tx.conn(), user, &sha256_hex(&raw), expires, now).await?;
    Ok(raw)
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", state.config.public_url)
}

/// Create an email/password account. Without a mail transport the account is verified at once.
pub async fn register(
    state: &AppState,
    email: &Email,
    password: &NewPassword,
) -> AccountResult<User> {
    let hash = passwords::hash(password.expose().to_owned())
        .await
        .map_err(AccountError::Internal)?;
    let now = state.now();
    let verified = !state.verification_required();
    let mut tx = state.db.begin().await?;
    let new = NewUser {
        email: email.as_str(),
        email_key: email.key(),
        password_hash: Some(&hash),
        email_verified: verified,
        auth_provider: AuthProvider::Email,
        google_sub: None,
    };
    let user = users::insert(&mut tx.conn(), &new, now)
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                AccountError::EmailTaken
            } else {
                AccountError::Store(e)
            }
        })?;
    if !verified {
        queue_link_mail(state, &mut tx, &user, EmailTokenKind::Verification, now).await?;
    }
    tx.commit().await?;
    if verified {
        tracing::info!(user = %user.id, "no mail transport configured: new account is verified without e-mail confirmation");
    } else {
        state.wake_mail_sender();
    }
    Ok(user)
}

/// Redeem a verification link.
pub async fn verify_email(state: &AppState, raw: &str) -> AccountResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(token) = tokens::unused_email_token(
        &mut tx.conn(),
        EmailTokenKind::Verification,
        &sha256_hex(raw),
    )
    .await?
    else {
        return Err(AccountError::InvalidVerificationToken);
    };
    tokens::use_email_token(&mut tx.conn(), token.id).await?;
    if token.expires_at <= now {
        tx.commit().await?;
        return Err(AccountError::VerificationExpired);
    }
    users::set_verified(&mut tx.conn(), token.user(), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Send a fresh verification link, silently doing nothing for unknown or verified addresses.
///
/// The request only records the address (see [`request_mail`]); the mail sender resolves it.
pub async fn resend_verification(state: &AppState, email: &Email) -> AccountResult<()> {
    if !state.verification_required() {
        return Ok(());
    }
    request_mail(state, EmailTokenKind::Verification, email).await
}

/// Record that a link mail was asked for `email`: the same one insert whether or not the address
/// has an account, so neither the answer nor its timing tells (the relay is never waited on).
async fn request_mail(state: &AppState, kind: EmailTokenKind, email: &Email) -> AccountResult<()> {
    let mut tx = state.db.begin().await?;
    mail_outbox::request_by_address(&mut tx.conn(), kind, email.key(), state.now()).await?;
    tx.commit().await?;
    state.wake_mail_sender();
    Ok(())
}

/// Make a fresh single-use link of `kind` for `user` (retiring earlier ones) and queue its mail,
/// in the caller's transaction.
async fn queue_link_mail(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    kind: EmailTokenKind,
    now: Timestamp,
) -> AccountResult<()> {
    let (ttl, path) = match kind {
        EmailTokenKind::Verification => (VERIFICATION_TTL, "/verify-email"),
        EmailTokenKind::PasswordReset => (RESET_TTL, "/reset-password"),
    };
    tokens::retire_email_tokens(&mut tx.conn(), user.id, kind).await?;
    let raw = new_token();
    let expires = now.plus(ttl);
    tokens::insert_email_token(
        &mut tx.conn(),
        user.id,
        kind,
        &sha256_hex(&raw),
        expires,
        now,
    )
    .await?;
    let link = link(state, path, &raw);
    let message = match kind {
        EmailTokenKind::Verification => mail::verification(&user.email, &link),
        EmailTokenKind::PasswordReset => mail::password_reset(&user.email, &link),
    };
    outbox::queue(
        &mut tx.conn(),
        user.id,
        kind.as_str(),
        &message,
        now,
        expires,
    )
    .await?;
    Ok(())
}

/// Resolve the oldest mail asked for by address: queue the link mail if the address has an
/// account that needs it, nothing otherwise. Returns whether there was a request. Run by the
/// mail sender (`jobs`), never inside a request.
pub async fn resolve_mail_request(state: &AppState) -> AccountResult<bool> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some((kind, email_key)) = mail_outbox::take_request(&mut tx.conn()).await? else {
        return Ok(false);
    };
    let user = users::by_email_key(&mut tx.conn(), &email_key).await?;
    let wanted = user.filter(|u| match kind {
        EmailTokenKind::Verification => !u.email_verified,
        EmailTokenKind::PasswordReset => true,
    });
    if let Some(user) = wanted {
        queue_link_mail(state, &mut tx, &user, kind, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Check credentials with lockout; on success issue API tokens.
pub async fn login(
    state: &AppState,
    email_raw: &str,
    password: &str,
) -> AccountResult<(User, IssuedTokens)> {
    let user = check_credentials(state, email_raw, password).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    login_attempts::clear(&mut tx.conn(), &user.email_key).await?;
    let issued = issue_tokens(state, &mut tx, &user, Some(now), now).await?;
    tx.commit().await?;
    Ok((user, issued))
}

/// Check credentials with lockout; on success start a web session (the pages' cookie).
pub async fn login_session(
    state: &AppState,
    email_raw: &str,
    password: &str,
) -> AccountResult<(User, String)> {
    let user = check_credentials(state, email_raw, password).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    login_attempts::clear(&mut tx.conn(), &user.email_key).await?;
    let session = start_web_session(state, &mut tx, user.id, now).await?;
    tx.commit().await?;
    Ok((user, session))
}

/// Start a web session for a user who just proved who they are (registration without mail).
pub async fn session_for(state: &AppState, user: UserId) -> AccountResult<String> {
    let mut tx = state.db.begin().await?;
    let session = start_web_session(state, &mut tx, user, state.now()).await?;
    tx.commit().await?;
    Ok(session)
}

/// Lockout check, password check (failures recorded durably), then account state checks.
pub async fn check_credentials(
    state: &AppState,
    email_raw: &str,
    password: &str,
) -> AccountResult<User> {
    let key = mealframe_core::email::key_of(email_raw);
    let now = state.now();
    let window = ttl(state.config.lockout_window);
    let (failures, user) = {
        let mut r = state.db.reader().await?;
        let failures = login_attempts::count_since(&mut r.conn(), &key, now.minus(window)).await?;
        let user = users::by_email_key(&mut r.conn(), &key).await?;
        (failures, user)
    };
    if failures >= state.config.lockout_attempts {
        return Err(AccountError::Locked);
    }
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    if !passwords::verify(password.to_owned(), hash).await {
        let mut tx = state.db.begin().await?;
        login_attempts::record(&mut tx.conn(), &key, now).await?;
        tx.commit().await?;
        return Err(AccountError::InvalidCredentials);
    }
    let user = user.ok_or(AccountError::InvalidCredentials)?;
    if !user.is_active {
        return Err(AccountError::Disabled);
    }
    if !user.email_verified {
        return Err(AccountError::Unverified);
    }
    Ok(user)
}

/// The answer to a concurrent refresh (another tab rotated the token a moment ago): an access
/// token of the same sign-in, and no new refresh token, so that tab keeps the winner's cookie.
fn access_only(
    state: &AppState,
    user: &User,
    authenticated_at: Option<Timestamp>,
    now: Timestamp,
) -> IssuedTokens {
    IssuedTokens {
        access_token: access_token(state, user, authenticated_at, now),
        refresh_token: None,
    }
}

/// Rotate a refresh token. Presenting a token that was already rotated is treated as theft:
/// every refresh token of that user is revoked and their access tokens end — unless it comes
/// within [`REFRESH_REUSE_INTERVAL`] of the rotation (tabs refreshing at once).
pub async fn refresh(state: &AppState, raw: Option<&str>) -> AccountResult<(User, IssuedTokens)> {
    let raw = raw
        .filter(|r| !r.is_empty())
        .ok_or(AccountError::NoRefreshToken)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(token) = tokens::refresh_by_hash(&mut tx.conn(), &sha256_hex(raw)).await? else {
        return Err(AccountError::InvalidRefreshToken);
    };
    if token.is_revoked {
        let concurrent = token.was_rotated()
            && token
                .revoked_at
                .is_some_and(|at| now.minus(REFRESH_REUSE_INTERVAL) <= at);
        if concurrent && token.expires_at > now {
            let user = users::by_id(&mut tx.conn(), token.user())
                .await?
                .filter(|u| u.is_active)
                .ok_or(AccountError::UserGone)?;
            let issued = access_only(state, &user, token.authenticated_at, now);
            return Ok((user, issued));
        }
        if token.was_rotated() {
            let n =
                tokens::revoke_all_refresh(&mut tx.conn(), token.user(), RevokeReason::Reuse, None)
                    .await?;
            users::bump_token_generation(&mut tx.conn(), token.user()).await?;
            sessions::delete_all(&mut tx.conn(), token.user(), None).await?;
            tx.commit().await?;
            tracing::warn!(user = %token.user(), revoked = n, "rotated refresh token presented again; all sessions of the user revoked");
        }
        return Err(AccountError::InvalidRefreshToken);
    }
    if token.expires_at <= now {
        return Err(AccountError::RefreshExpired);
    }
    let user = users::by_id(&mut tx.conn(), token.user())
        .await?
        .filter(|u| u.is_active)
        .ok_or(AccountError::UserGone)?;
    if !tokens::revoke_refresh(&mut tx.conn(), token.id, RevokeReason::Rotated, now).await? {
        // Revoked between our read and our write. If another tab's refresh rotated it just now
        // (PostgreSQL lets both read it first), this is the concurrent case above; a logout is not.
        let now_rotated = tokens::refresh_by_hash(&mut tx.conn(), &sha256_hex(raw))
            .await?
            .is_some_and(|t| t.was_rotated());
        if !now_rotated {
            return Err(AccountError::InvalidRefreshToken);
        }
        let issued = access_only(state, &user, token.authenticated_at, now);
        return Ok((user, issued));
    }
    let issued = issue_tokens(state, &mut tx, &user, token.authenticated_at, now).await?;
    tx.commit().await?;
    Ok((user, issued))
}

/// End the presented refresh token and web session, if any (idempotent).
pub async fn logout(
    state: &AppState,
    refresh_raw: Option<&str>,
    session_raw: Option<&str>,
) -> AccountResult<()> {
    let mut tx = state.db.begin().await?;
    if let Some(raw) = refresh_raw.filter(|r| !r.is_empty())
        && let Some(t) = tokens::refresh_by_hash(&mut tx.conn(), &sha256_hex(raw)).await?
    {
        tokens::revoke_refresh(&mut tx.conn(), t.id, RevokeReason::Logout, state.now()).await?;
    }
    if let Some(raw) = session_raw.filter(|r| !r.is_empty())
        && let Some(s) =
            sessions::live_by_hash(&mut tx.conn(), &sha256_hex(raw), state.now()).await?
    {
        sessions::delete(&mut tx.conn(), s.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// End every session of the user, everywhere (and their reminders on every device).
pub async fn logout_all(state: &AppState, user: UserId) -> AccountResult<()> {
    let mut tx = state.db.begin().await?;
    tokens::revoke_all_refresh(&mut tx.conn(), user, RevokeReason::LogoutAll, None).await?;
    sessions::delete_all(&mut tx.conn(), user, None).await?;
    users::bump_token_generation(&mut tx.conn(), user).await?;
    // Reminders show the plan on the lock screen: devices signed out stop getting them.
    push_subscriptions::delete_all(&mut tx.conn(), user).await?;
    tx.commit().await?;
    Ok(())
}

/// E-mail a reset link; silently nothing for unknown addresses (no account discovery, by answer
/// or by timing: the request only records the address, see [`request_mail`]).
pub async fn forgot_password(state: &AppState, email: &Email) -> AccountResult<()> {
    if !state.mailer.is_on() {
        let mut r = state.db.reader().await?;
        if let Some(user) = users::by_email_key(&mut r.conn(), email.key()).await? {
            tracing::warn!(user = %user.id, "password reset requested but no mail transport is configured; an administrator can run `mealframe user set-password`");
        }
        return Ok(());
    }
    request_mail(state, EmailTokenKind::PasswordReset, email).await
}

/// Redeem a reset link: new password, and every session of the account ends.
pub async fn reset_password(
    state: &AppState,
    raw: &str,
    password: &NewPassword,
) -> AccountResult<()> {
    let hash_of_token = sha256_hex(raw);
    {
        let mut r = state.db.reader().await?;
        if tokens::unused_email_token(&mut r.conn(), EmailTokenKind::PasswordReset, &hash_of_token)
            .await?
            .is_none()
        {
            return Err(AccountError::InvalidResetToken);
        }
    }
    let new_hash = passwords::hash(password.expose().to_owned())
        .await
        .map_err(AccountError::Internal)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(token) = tokens::unused_email_token(
        &mut tx.conn(),
        EmailTokenKind::PasswordReset,
        &hash_of_token,
    )
    .await?
    else {
        return Err(AccountError::InvalidResetToken);
    };
    tokens::use_email_token(&mut tx.conn(), token.id).await?;
    if token.expires_at <= now {
        tx.commit().await?;
        return Err(AccountError::ResetExpired);
    }
    users::set_password_hash(&mut tx.conn(), token.user(), &new_hash, now).await?;
    tokens::revoke_all_refresh(&mut tx.conn(), token.user(), RevokeReason::Password, None).await?;
    sessions::delete_all(&mut tx.conn(), token.user(), None).await?;
    users::bump_token_generation(&mut tx.conn(), token.user()).await?;
    tx.commit().await?;
    Ok(())
}

/// The sessions a password change keeps: the one making the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepSessions {
    pub refresh_token: Option<Uuid>,
    pub web_session: Option<Uuid>,
}

/// Find the refresh token row of a raw cookie value, to keep it across a password change.
pub async fn refresh_token_id(state: &AppState, raw: Option<&str>) -> AccountResult<Option<Uuid>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let mut r = state.db.reader().await?;
    Ok(tokens::refresh_by_hash(&mut r.conn(), &sha256_hex(raw))
        .await?
        .filter(|t| !t.is_revoked)
        .map(|t| t.id))
}

/// Change the password; every other session ends, and every access token (the caller gets a
/// new one). The current password is required if the account has one; an account without one
/// (Google sign-in only) must have signed in within the last few minutes instead, so a stolen
/// token cannot set a password and lock the owner out.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &NewPassword,
    keep: KeepSessions,
    signed_in_recently: bool,
) -> AccountResult<String> {
    let allowed = match &user.password_hash {
        Some(hash) => passwords::verify(current.to_owned(), Some(hash.clone())).await,
        None => signed_in_recently,
    };
    if !allowed {
        return Err(match user.password_hash {
            Some(_) => AccountError::WrongCurrentPassword,
            None => AccountError::ReauthRequired,
        });
    }
    let hash = passwords::hash(new.expose().to_owned())
        .await
        .map_err(AccountError::Internal)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut tx.conn(), user.id, &hash, now).await?;
    tokens::revoke_all_refresh(
        &mut tx.conn(),
        user.id,
        RevokeReason::Password,
        keep.refresh_token,
    )
    .await?;
    sessions::delete_all(&mut tx.conn(), user.id, keep.web_session).await?;
    users::bump_token_generation(&mut tx.conn(), user.id).await?;
    let renewed = users::by_id(&mut tx.conn(), user.id)
        .await?
        .ok_or(AccountError::UserGone)?;
    tx.commit().await?;
    Ok(access_token(state, &renewed, Some(now), now))
}

/// Delete the account and all its data. Accounts with a password must give it; accounts without
/// one (Google sign-in only) must have signed in within the last few minutes.
pub async fn delete_account(
    state: &AppState,
    user: &User,
    password: Option<&str>,
    signed_in_recently: bool,
) -> AccountResult<()> {
    match (&user.password_hash, password) {
        (Some(_), None) => return Err(AccountError::PasswordRequired),
        (Some(hash), Some(given)) => {
            if !passwords::verify(given.to_owned(), Some(hash.clone())).await {
                return Err(AccountError::WrongPassword);
            }
        }
        (None, _) if !signed_in_recently => return Err(AccountError::ReauthRequired),
        (None, _) => {}
    }
    let mut tx = state.db.begin().await?;
    let photos = mealframe_store::library::meals::photo_keys(&mut tx.conn(), user.id).await?;
    users::delete(&mut tx.conn(), user.id).await?;
    tx.commit().await?;
    // Captured photos go with the account.
    state.photos.delete_all(&photos).await;
    tracing::info!(user = %user.id, "account deleted");
    Ok(())
}

/// Change the profile: the time zone, and preferences merged into the stored ones (a key given
/// replaces that key; the others stay). Returns the user as stored now.
pub async fn update_profile(
    state: &AppState,
    user: &User,
    w: &Write,
    timezone: Option<&TimeZoneName>,
    preferences: Option<serde_json::Map<String, serde_json::Value>>,
) -> AccountResult<User> {
    let merged = preferences.map(|new| {
        let mut prefs = user.preferences.as_object().cloned().unwrap_or_default();
        prefs.extend(new);
        serde_json::Value::Object(prefs)
    });
    let mut tx = state.begin_for(w).await?;
    users::update_profile(
        &mut tx.conn(),
        user.id,
        timezone.map(TimeZoneName::as_str),
        merged.as_ref(),
        state.now(),
    )
    .await?;
    let updated = users::by_id(&mut tx.conn(), user.id)
        .await?
        .ok_or(AccountError::UserGone)?;
    tx.commit().await?;
    Ok(updated)
}
