//! The `users` table.

use dbkit::{Conn, Timestamp, execute, fetch_all, fetch_optional};
use mealframe_core::ids::UserId;
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::sessions::WebSession;
use crate::Result;

/// How an account signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProvider {
    Email,
    Google,
}

impl AuthProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthProvider::Email => "email",
            AuthProvider::Google => "google",
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub email_key: String,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub is_active: bool,
    pub auth_provider: AuthProvider,
    pub google_sub: Option<String>,
    pub timezone: String,
    pub preferences: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Moves forward (by database triggers) whenever anything the Today, Week or Stats views
    /// show changes; the server's view caches are keyed by it (migration 0003).
    pub data_version: i64,
    /// Moves forward with changes to the library (meals, types, templates, week plans) and to
    /// which weeks exist, but not with marks: the library lists are cached by it (migration
    /// 0013). Whatever moves it moves `data_version` too.
    pub library_version: i64,
    /// Access tokens name the generation they were issued under; raising it ends them all
    /// (migration 0005).
    pub token_generation: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    email_key: String,
    password_hash: Option<String>,
    email_verified: bool,
    is_active: bool,
    auth_provider: String,
    google_sub: Option<String>,
    timezone: String,
    preferences: Json<Value>,
    created_at: Timestamp,
    updated_at: Timestamp,
    data_version: i64,
    library_version: i64,
    token_generation: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            email_key: r.email_key,
            password_hash: r.password_hash,
            email_verified: r.email_verified,
            is_active: r.is_active,
            auth_provider: if r.auth_provider == "google" {
                AuthProvider::Google
            } else {
                AuthProvider::Email
            },
            google_sub: r.google_sub,
            timezone: r.timezone,
            preferences: r.preferences.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            data_version: r.data_version,
            library_version: r.library_version,
            token_generation: r.token_generation,
        }
    }
}

const COLUMNS: &str = "id, email, email_key, password_hash, email_verified, is_active, auth_provider, \
                       google_sub, timezone, preferences, created_at, updated_at, data_version, \
                       library_version, token_generation";

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_key: &'a str,
    pub password_hash: Option<&'a str>,
    pub email_verified: bool,
    pub auth_provider: AuthProvider,
    pub google_sub: Option<&'a str>,
}

/// Insert a user. A taken address surfaces as `StoreError::Integrity(Unique)`.
pub async fn insert(c: &mut Conn<'_>, new: &NewUser<'_>, now: Timestamp) -> Result<User> {
    let id = UserId::new();
    execute!(
        c.reborrow(),
        "INSERT INTO users (id, email, email_key, password_hash, email_verified, is_active, auth_provider,
                            google_sub, timezone, preferences, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, 'UTC', $8, $9, $9)",
        id.uuid(),
        new.email,
        new.email_key,
        new.password_hash,
        new.email_verified,
        new.auth_provider.as_str(),
        new.google_sub,
        Json(Value::Object(Default::default())),
        now
    )?;
    by_id(c, id).await?.ok_or(crate::StoreError::NotFound)
}

/// End every access token of the user issued so far (they carry the old generation).
pub async fn bump_token_generation(c: &mut Conn<'_>, id: UserId) -> Result<()> {
    execute!(
        c,
        "UPDATE users SET token_generation = token_generation + 1 WHERE id = $1",
        id.uuid()
    )?;
    Ok(())
}

/// Take the user's row lock first thing in a write transaction (PostgreSQL; SQLite's single
/// writer already serialises). The data-version triggers lock that row after the rows they fire
/// on; taking it first gives every writer of one user the same lock order, so two of them (say a
/// regeneration and a mark of one of its slots) queue instead of deadlocking.
pub async fn lock_for_write(c: &mut Conn<'_>, id: UserId) -> Result<()> {
    if c.is_postgres() {
        fetch_optional!(
            c,
            (i32,),
            "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
            id.uuid()
        )?;
    }
    Ok(())
}

pub async fn by_id(c: &mut Conn<'_>, id: UserId) -> Result<Option<User>> {
    let row = fetch_optional!(
        c,
        UserRow,
        sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1")),
        id.uuid()
    )?;
    Ok(row.map(User::from))
}

/// The live (unexpired) web session with this token hash and its user's row, in one round trip:
/// what every cookie-signed request needs first.
pub async fn with_live_session(
    c: &mut Conn<'_>,
    hash: &str,
    now: Timestamp,
) -> Result<Option<(WebSession, User)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        session_id: Uuid,
        session_created_at: Timestamp,
        session_last_seen_at: Timestamp,
        session_expires_at: Timestamp,
        #[sqlx(flatten)]
        user: UserRow,
    }
    let user_columns = COLUMNS
        .split(',')
        .map(|c| format!("u.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let row = fetch_optional!(
        c,
        Row,
        sqlx::AssertSqlSafe(format!(
            "SELECT s.id AS session_id, s.created_at AS session_created_at,
                    s.last_seen_at AS session_last_seen_at, s.expires_at AS session_expires_at,
                    {user_columns}
             FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        )),
        hash,
        now
    )?;
    Ok(row.map(|r| {
        let session = WebSession {
            id: r.session_id,
            user_id: r.user.id,
            created_at: r.session_created_at,
            last_seen_at: r.session_last_seen_at,
            expires_at: r.session_expires_at,
        };
        (session, User::from(r.user))
    }))
}

pub async fn by_email_key(c: &mut Conn<'_>, email_key: &str) -> Result<Option<User>> {
    let row = fetch_optional!(
        c,
        UserRow,
        sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE email_key = $1")),
        email_key
    )?;
    Ok(row.map(User::from))
}

pub async fn by_google_sub(c: &mut Conn<'_>, sub: &str) -> Result<Option<User>> {
    let row = fetch_optional!(
        c,
        UserRow,
        sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE google_sub = $1")),
        sub
    )?;
    Ok(row.map(User::from))
}

pub async fn list(c: &mut Conn<'_>) -> Result<Vec<User>> {
    let rows = fetch_all!(
        c,
        UserRow,
        sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users ORDER BY created_at, id"
        ))
    )?;
    Ok(rows.into_iter().map(User::from).collect())
}

pub async fn set_verified(c: &mut Conn<'_>, id: UserId, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "UPDATE users SET email_verified = TRUE, updated_at = $2 WHERE id = $1",
        id.uuid(),
        now
    )?;
    Ok(())
}

pub async fn set_password_hash(
    c: &mut Conn<'_>,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
        id.uuid(),
        hash,
        now
    )?;
    Ok(())
}

/// Attach a Google identity to an existing account (Google vouched for the address).
pub async fn link_google(c: &mut Conn<'_>, id: UserId, sub: &str, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "UPDATE users SET google_sub = $2, email_verified = TRUE, updated_at = $3 WHERE id = $1",
        id.uuid(),
        sub,
        now
    )?;
    Ok(())
}

pub async fn set_active(c: &mut Conn<'_>, id: UserId, active: bool, now: Timestamp) -> Result<()> {
    execute!(
        c,
        "UPDATE users SET is_active = $2, updated_at = $3 WHERE id = $1",
        id.uuid(),
        active,
        now
    )?;
    Ok(())
}

/// Update the profile settings a user can change (`None` leaves a field as it is).
pub async fn update_profile(
    c: &mut Conn<'_>,
    id: UserId,
    timezone: Option<&str>,
    preferences: Option<&Value>,
    now: Timestamp,
) -> Result<()> {
    if let Some(tz) = timezone {
        execute!(
            c.reborrow(),
            "UPDATE users SET timezone = $2, updated_at = $3 WHERE id = $1",
            id.uuid(),
            tz,
            now
        )?;
    }
    if let Some(p) = preferences {
        execute!(
            c.reborrow(),
            "UPDATE users SET preferences = $2, updated_at = $3 WHERE id = $1",
            id.uuid(),
            Json(p),
            now
        )?;
    }
    Ok(())
}

/// Delete the account; every row that belongs to it goes with it (foreign keys cascade).
pub async fn delete(c: &mut Conn<'_>, id: UserId) -> Result<bool> {
    let email_key: Option<String> = fetch_optional!(
        c.reborrow(),
        (String,),
        "SELECT email_key FROM users WHERE id = $1",
        id.uuid()
    )?
    .map(|r| r.0);
    let Some(email_key) = email_key else {
        return Ok(false);
    };
    // Failed logins are keyed by address, not by user: remove them too.
    execute!(
        c.reborrow(),
        "DELETE FROM failed_login_attempts WHERE email_key = $1",
        email_key
    )?;
    // Rows that `ON DELETE RESTRICT` protects go first, plans before the templates they map:
    // PostgreSQL checks RESTRICT as each referenced row goes, so in the cascade from `users` a
    // meal type or template could go while a template slot or plan day still refers to it.
    execute!(
        c.reborrow(),
        "DELETE FROM week_plans WHERE user_id = $1",
        id.uuid()
    )?;
    execute!(
        c.reborrow(),
        "DELETE FROM day_templates WHERE user_id = $1",
        id.uuid()
    )?;
    let n = execute!(c, "DELETE FROM users WHERE id = $1", id.uuid())?;
    Ok(n > 0)
}
