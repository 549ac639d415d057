//! Refresh tokens (API sessions, rotated on every use) and single-use e-mail tokens.
//!
//! Only SHA-256 hashes of tokens are stored; the raw values exist in cookies and e-mails only.

use dbkit::{Conn, Timestamp, execute, fetch_optional};
use mealframe_core::ids::UserId;
use uuid::Uuid;

use crate::Result;

/// Why a refresh token stopped being valid; a presented token revoked by rotation is a theft signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Rotated,
    Logout,
    Password,
    LogoutAll,
    Reuse,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Rotated => "rotated",
            RevokeReason::Logout => "logout",
            RevokeReason::Password => "password",
            RevokeReason::LogoutAll => "logout_all",
            RevokeReason::Reuse => "reuse",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: Timestamp,
    pub is_revoked: bool,
    pub revoked_reason: Option<String>,
    /// The sign-in that began this chain of rotations (unknown for tokens older than 0005).
    pub authenticated_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl RefreshToken {
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }
    pub fn was_rotated(&self) -> bool {
        self.revoked_reason.as_deref() == Some("rotated")
    }
}

/// Store a new refresh token; `authenticated_at` is when its chain began with a sign-in.
pub async fn insert_refresh(
    c: &mut Conn<'_>,
    user: UserId,
    hash: &str,
    expires_at: Timestamp,
    authenticated_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at, is_revoked, authenticated_at)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
        Uuid::now_v7(),
        user.uuid(),
        hash,
        expires_at,
        now,
        authenticated_at
    )?;
    Ok(())
}

pub async fn refresh_by_hash(c: &mut Conn<'_>, hash: &str) -> Result<Option<RefreshToken>> {
    Ok(fetch_optional!(
        c,
        RefreshToken,
        "SELECT id, user_id, expires_at, is_revoked, revoked_reason, authenticated_at, revoked_at
         FROM refresh_tokens WHERE token_hash = $1",
        hash
    )?)
}

/// Revoke one token unless already revoked; true if this call revoked it (guards concurrent rotation).
pub async fn revoke_refresh(
    c: &mut Conn<'_>,
    id: Uuid,
    reason: RevokeReason,
    now: Timestamp,
) -> Result<bool> {
    let n = execute!(
        c,
        "UPDATE refresh_tokens SET is_revoked = TRUE, revoked_reason = $2, revoked_at = $3
         WHERE id = $1 AND is_revoked = FALSE",
        id,
        reason.as_str(),
        now
    )?;
    Ok(n == 1)
}

/// Revoke every live refresh token of a user, except optionally one (the caller's own session).
pub async fn revoke_all_refresh(
    c: &mut Conn<'_>,
    user: UserId,
    reason: RevokeReason,
    keep: Option<Uuid>,
) -> Result<u64> {
    Ok(execute!(
        c,
        "UPDATE refresh_tokens SET is_revoked = TRUE, revoked_reason = $2
         WHERE user_id = $1 AND is_revoked = FALSE AND ($3 IS NULL OR id <> $3)",
        user.uuid(),
        reason.as_str(),
        keep
    )?)
}

/// What an e-mail token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTokenKind {
    Verification,
    PasswordReset,
}

impl EmailTokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailTokenKind::Verification => "verification",
            EmailTokenKind::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<EmailTokenKind> {
        match s {
            "verification" => Some(EmailTokenKind::Verification),
            "password_reset" => Some(EmailTokenKind::PasswordReset),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: Timestamp,
    pub is_used: bool,
}

impl EmailToken {
    pub fn user(&self) -> UserId {
        UserId(self.user_id)
    }
}

pub async fn insert_email_token(
    c: &mut Conn<'_>,
    user: UserId,
    kind: EmailTokenKind,
    hash: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "INSERT INTO email_tokens (id, user_id, token_hash, token_type, expires_at, is_used, created_at)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
        Uuid::now_v7(),
        user.uuid(),
        hash,
        kind.as_str(),
        expires_at,
        now
    )?;
    Ok(())
}

/// An unused token of the given kind with this hash.
pub async fn unused_email_token(
    c: &mut Conn<'_>,
    kind: EmailTokenKind,
    hash: &str,
) -> Result<Option<EmailToken>> {
    Ok(fetch_optional!(
        c,
        EmailToken,
        "SELECT id, user_id, expires_at, is_used FROM email_tokens
         WHERE token_hash = $1 AND token_type = $2 AND is_used = FALSE",
        hash,
        kind.as_str()
    )?)
}

/// Mark a token used; true if this call did it (a token can be redeemed once).
pub async fn use_email_token(c: &mut Conn<'_>, id: Uuid) -> Result<bool> {
    Ok(execute!(
        c,
        "UPDATE email_tokens SET is_used = TRUE WHERE id = $1 AND is_used = FALSE",
        id
    )? == 1)
}

/// Retire every unused token of a kind for a user (a new one is about to be sent).
pub async fn retire_email_tokens(
    c: &mut Conn<'_>,
    user: UserId,
    kind: EmailTokenKind,
) -> Result<u64> {
    Ok(execute!(
        c,
        "UPDATE email_tokens SET is_used = TRUE WHERE user_id = $1 AND token_type = $2 AND is_used = FALSE",
        user.uuid(),
        kind.as_str()
    )?)
}
