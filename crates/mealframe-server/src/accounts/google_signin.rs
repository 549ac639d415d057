//! Google sign-in, the flow around the OIDC client (`google`): the first leg remembers state,
//! nonce and PKCE verifier in the database (any instance may receive the callback; single use,
//! 10 minutes); the callback checks them, gets the verified identity, and finds, links or
//! creates the account. An existing account is linked by e-mail only when Google says the
//! address is verified (the original linked unverified addresses, which allowed account
//! takeover).

use dbkit::Timestamp;
use mealframe_core::email::Email;
use mealframe_store::accounts::{
    oauth,
    users::{self, AuthProvider, NewUser, User},
};

use super::{
    AccountError, AccountResult,
    google::{GoogleError, GoogleOidc, Identity},
    secret_tokens::sha256_hex,
};
use crate::state::AppState;

const STATE_TTL: time::Duration = time::Duration::minutes(10);

fn redirect_uri(state: &AppState) -> String {
    format!("{}/api/v1/auth/google/callback", state.config.public_url)
}

/// Where to send the browser to sign in; remembers state, nonce and verifier.
pub async fn authorize_url(state: &AppState, google: &GoogleOidc) -> AccountResult<String> {
    let st = platform::secrets::random_token(32);
    let nonce = platform::secrets::random_token(32);
    let verifier = platform::secrets::random_token(32);
    let url = google
        .authorization_url(&redirect_uri(state), &st, &nonce, &verifier)
        .await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    oauth::insert(
        &mut tx.conn(),
        &sha256_hex(&st),
        &nonce,
        &verifier,
        now,
        now.plus(STATE_TTL),
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// Finish the flow: check state, exchange the code, verify the ID token, find or create the user.
pub async fn callback(
    state: &AppState,
    google: &GoogleOidc,
    code: &str,
    st: &str,
) -> AccountResult<User> {
    let now = state.now();
    let saved = {
        let mut tx = state.db.begin().await?;
        let saved = oauth::take(&mut tx.conn(), &sha256_hex(st)).await?;
        tx.commit().await?;
        saved
    };
    let saved = saved
        .filter(|s| s.expires_at > now)
        .ok_or(GoogleError::InvalidState)?;
    let who = google
        .identity(
            &redirect_uri(state),
            code,
            &saved.pkce_verifier,
            &saved.nonce,
        )
        .await?;
    resolve_account(state, &who, now).await
}

async fn resolve_account(state: &AppState, who: &Identity, now: Timestamp) -> AccountResult<User> {
    let mut tx = state.db.begin().await?;
    if let Some(user) = users::by_google_sub(&mut tx.conn(), &who.sub).await? {
        return Ok(user);
    }
    let email = who
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or(GoogleError::Exchange)?;
    if !who.email_verified {
        return Err(GoogleError::EmailNotVerified.into());
    }
    let user = match users::by_email_key(&mut tx.conn(), email.key()).await? {
        Some(existing) => {
            users::link_google(&mut tx.conn(), existing.id, &who.sub, now).await?;
            users::by_id(&mut tx.conn(), existing.id)
                .await?
                .ok_or(AccountError::UserGone)?
        }
        None => {
            let new = NewUser {
                email: email.as_str(),
                email_key: email.key(),
                password_hash: None,
                email_verified: true,
                auth_provider: AuthProvider::Google,
                google_sub: Some(&who.sub),
            };
            users::insert(&mut tx.conn(), &new, now).await?
        }
    };
    tx.commit().await?;
    Ok(user)
}

/// What a browser keeps after signing in with Google: a web session and a refresh token (both
/// raw, for the cookies).
pub struct BrowserSession {
    pub session: String,
    pub refresh: String,
}

/// Start the signed-in browser's session and API refresh chain, in one transaction.
pub async fn start_browser_session(state: &AppState, user: &User) -> AccountResult<BrowserSession> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let session = super::start_web_session(state, &mut tx, user.id, now).await?;
    let refresh = super::secret_tokens::new_token();
    let expires = now.plus(time::Duration::seconds(
        state.config.refresh_token_ttl.as_secs() as i64,
    ));
    mealframe_store::accounts::tokens::insert_refresh(
        &mut tx.conn(),
        user.id,
        &sha256_hex(&refresh),
        expires,
        Some(now),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(BrowserSession { session, refresh })
}
