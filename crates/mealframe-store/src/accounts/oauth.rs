//! OAuth state between `/google/authorize` and `/google/callback`, kept in the database so that
//! the callback may land on any instance. Single use, short-lived.

use dbkit::{Conn, Timestamp, execute, fetch_optional};

use crate::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OAuthState {
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: Timestamp,
}

pub async fn insert(
    c: &mut Conn<'_>,
    state_hash: &str,
    nonce: &str,
    verifier: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    execute!(
        c,
        "INSERT INTO oauth_states (state_hash, nonce, pkce_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        state_hash,
        nonce,
        verifier,
        now,
        expires_at
    )?;
    Ok(())
}

/// Remove and return the state (whether or not it has expired; the caller checks).
pub async fn take(c: &mut Conn<'_>, state_hash: &str) -> Result<Option<OAuthState>> {
    let row = fetch_optional!(
        c.reborrow(),
        OAuthState,
        "SELECT nonce, pkce_verifier, expires_at FROM oauth_states WHERE state_hash = $1",
        state_hash
    )?;
    if row.is_some() {
        execute!(
            c,
            "DELETE FROM oauth_states WHERE state_hash = $1",
            state_hash
        )?;
    }
    Ok(row)
}

pub async fn purge_expired(c: &mut Conn<'_>, now: Timestamp) -> Result<u64> {
    Ok(execute!(
        c,
        "DELETE FROM oauth_states WHERE expires_at <= $1",
        now
    )?)
}
