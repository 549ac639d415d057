//! Google sign-in: the OpenID Connect authorization-code flow with PKCE and a nonce.
//!
//! * The issuer is configurable (`MEALFRAME_GOOGLE_ISSUER_URL`), so tests run against a local fake;
//!   its discovery document names the authorization, token and JWKS endpoints.
//! * State, nonce and PKCE verifier live in the database between the two legs (any instance may
//!   receive the callback), single use, 10 minutes.
//! * The ID token is verified against the issuer's keys (RS256, issuer, audience, expiry, nonce).
//! * An existing account is linked by e-mail only when Google says the address is verified (the
//!   original linked unverified addresses, which allowed account takeover).
//! * The flow ends in session cookies and a redirect; no token ever travels in a URL.

use std::time::Duration;

use base64::Engine as _;
use dbkit::Timestamp;
use mealframe_core::email::Email;
use mealframe_store::accounts::{
    oauth,
    users::{self, AuthProvider, NewUser, User},
};
use platform::jwks::{Expect, JwksClient, JwksError};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::{AccountError, AccountResult, secret_tokens::sha256_hex};
use crate::{config::GoogleConfig, state::AppState};

const STATE_TTL: time::Duration = time::Duration::minutes(10);

#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    #[error("could not read the provider's discovery document")]
    Discovery,
    #[error("unknown or expired OAuth state")]
    InvalidState,
    #[error("code exchange failed")]
    Exchange,
    #[error("ID token rejected: {0}")]
    IdToken(JwksError),
    #[error("nonce mismatch")]
    Nonce,
    #[error("Google did not vouch for the e-mail address")]
    EmailNotVerified,
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    email: Option<String>,
    email_verified: Option<Value>,
    nonce: Option<String>,
}

pub struct GoogleOidc {
    cfg: GoogleConfig,
    http: reqwest::Client,
    discovery: OnceCell<Discovery>,
    jwks: OnceCell<JwksClient>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl GoogleOidc {
    pub fn new(cfg: GoogleConfig, http: reqwest::Client) -> GoogleOidc {
        GoogleOidc {
            cfg,
            http,
            discovery: OnceCell::new(),
            jwks: OnceCell::new(),
        }
    }

    async fn discovery(&self) -> Result<&Discovery, GoogleError> {
        self.discovery
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.cfg.issuer_url);
                let resp = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .map_err(|_| GoogleError::Discovery)?;
                if !resp.status().is_success() {
                    return Err(GoogleError::Discovery);
                }
                resp.json::<Discovery>()
                    .await
                    .map_err(|_| GoogleError::Discovery)
            })
            .await
    }

    async fn jwks(&self) -> Result<&JwksClient, GoogleError> {
        let d = self.discovery().await?;
        Ok(self
            .jwks
            .get_or_init(|| async {
                JwksClient::new(
                    self.http.clone(),
                    d.jwks_uri.clone(),
                    Duration::from_secs(3600),
                )
            })
            .await)
    }

    fn redirect_uri(state: &AppState) -> String {
        format!("{}/api/v1/auth/google/callback", state.config.public_url)
    }

    /// Where to send the browser to sign in; remembers state, nonce and verifier.
    pub async fn authorize_url(&self, state: &AppState) -> AccountResult<String> {
        let d = self.discovery().await?;
        let st = platform::secrets::random_token(32);
        let nonce = platform::secrets::random_token(32);
        let verifier = platform::secrets::random_token(32);
        let challenge = b64(&Sha256::digest(verifier.as_bytes()));
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
        let mut url =
            reqwest::Url::parse(&d.authorization_endpoint).map_err(|_| GoogleError::Discovery)?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("redirect_uri", &Self::redirect_uri(state))
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email profile")
            .append_pair("state", &st)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account");
        Ok(url.into())
    }

    /// Finish the flow: check state, exchange the code, verify the ID token, find or create the user.
    pub async fn callback(&self, state: &AppState, code: &str, st: &str) -> AccountResult<User> {
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
        let d = self.discovery().await?;
        let resp = self
            .http
            .post(&d.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &Self::redirect_uri(state)),
                ("client_id", &self.cfg.client_id),
                ("client_secret", &self.cfg.client_secret),
                ("code_verifier", &saved.pkce_verifier),
            ])
            .send()
            .await
            .map_err(|_| GoogleError::Exchange)?;
        if !resp.status().is_success() {
            return Err(GoogleError::Exchange.into());
        }
        let tokens: TokenResponse = resp.json().await.map_err(|_| GoogleError::Exchange)?;
        let bare_host = d
            .issuer
            .strip_prefix("https://")
            .unwrap_or(&d.issuer)
            .to_owned();
        let issuers = [d.issuer.as_str(), bare_host.as_str()];
        let expect = Expect {
            issuers: &issuers,
            audience: &self.cfg.client_id,
            leeway_secs: 60,
        };
        let claims: IdClaims = self
            .jwks()
            .await?
            .verify(&tokens.id_token, &expect)
            .await
            .map_err(GoogleError::IdToken)?;
        if claims.nonce.as_deref() != Some(saved.nonce.as_str()) {
            return Err(GoogleError::Nonce.into());
        }
        let email_verified = matches!(&claims.email_verified, Some(Value::Bool(true)))
            || matches!(&claims.email_verified, Some(Value::String(s)) if s == "true");
        resolve_account(
            state,
            &claims.sub,
            claims.email.as_deref(),
            email_verified,
            now,
        )
        .await
    }
}

async fn resolve_account(
    state: &AppState,
    sub: &str,
    email: Option<&str>,
    email_verified: bool,
    now: Timestamp,
) -> AccountResult<User> {
    let mut tx = state.db.begin().await?;
    if let Some(user) = users::by_google_sub(&mut tx.conn(), sub).await? {
        return Ok(user);
    }
    let email = email
        .and_then(|e| Email::parse(e).ok())
        .ok_or(GoogleError::Exchange)?;
    if !email_verified {
        return Err(GoogleError::EmailNotVerified.into());
    }
    let user = match users::by_email_key(&mut tx.conn(), email.key()).await? {
        Some(existing) => {
            users::link_google(&mut tx.conn(), existing.id, sub, now).await?;
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
                google_sub: Some(sub),
            };
            users::insert(&mut tx.conn(), &new, now).await?
        }
    };
    tx.commit().await?;
    Ok(user)
}
