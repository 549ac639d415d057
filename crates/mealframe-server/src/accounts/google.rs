//! Google sign-in's OpenID Connect client: the authorization-code flow with PKCE and a nonce.
//! The flow's storage and accounts are `google_signin`.
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
use platform::jwks::{Expect, JwksClient, JwksError};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::config::GoogleConfig;

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

/// Who Google says signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

/// The provider's client: discovery, JWKS and the token exchange (no storage; the sign-in flow
/// around it is `google_signin`).
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

    /// The provider's sign-in address for this request (`state`, `nonce` and the PKCE challenge
    /// of `verifier` are the caller's, kept for the callback).
    pub async fn authorization_url(
        &self,
        redirect_uri: &str,
        st: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, GoogleError> {
        let d = self.discovery().await?;
        let challenge = b64(&Sha256::digest(verifier.as_bytes()));
        let mut url =
            reqwest::Url::parse(&d.authorization_endpoint).map_err(|_| GoogleError::Discovery)?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.cfg.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email profile")
            .append_pair("state", st)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account");
        Ok(url.into())
    }

    /// Exchange the callback's code and verify the ID token it brings (signature, issuer,
    /// audience, expiry, and the `nonce` of the first leg).
    pub async fn identity(
        &self,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, GoogleError> {
        let d = self.discovery().await?;
        let resp = self
            .http
            .post(&d.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("client_id", &self.cfg.client_id),
                ("client_secret", &self.cfg.client_secret),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .map_err(|_| GoogleError::Exchange)?;
        if !resp.status().is_success() {
            return Err(GoogleError::Exchange);
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
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(GoogleError::Nonce);
        }
        let email_verified = matches!(&claims.email_verified, Some(Value::Bool(true)))
            || matches!(&claims.email_verified, Some(Value::String(s)) if s == "true");
        Ok(Identity {
            sub: claims.sub,
            email: claims.email,
            email_verified,
        })
    }
}
