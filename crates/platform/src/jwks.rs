//! Verifying RS256 ID tokens against a provider's published keys (JWKS).
//!
//! Used for Google sign-in (MealFrame) and Sign in with Apple (Offload). Keys are fetched on first
//! use and cached for `ttl`; a token whose `kid` is not in the cache triggers one refetch (at most
//! every 30 seconds), which is how providers' key rotation is picked up.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::de::DeserializeOwned;
use tokio::sync::RwLock;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("could not fetch the signing keys")]
    Fetch,
    #[error("token header is malformed or not RS256")]
    Header,
    #[error("no signing key matches the token")]
    UnknownKey,
    #[error("token rejected: {0:?}")]
    Invalid(jsonwebtoken::errors::ErrorKind),
}

struct Cached {
    fetched_at: Instant,
    keys: JwkSet,
}

/// A JWKS endpoint and its cached key set.
pub struct JwksClient {
    http: reqwest::Client,
    url: String,
    ttl: Duration,
    cache: RwLock<Option<Cached>>,
}

/// What a token must say about itself to be accepted.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub issuers: &'a [&'a str],
    pub audience: &'a str,
    /// Seconds of clock skew tolerated on `exp`/`nbf`/`iat`.
    pub leeway_secs: u64,
}

impl JwksClient {
    pub fn new(http: reqwest::Client, url: impl Into<String>, ttl: Duration) -> JwksClient {
        JwksClient {
            http,
            url: url.into(),
            ttl,
            cache: RwLock::new(None),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let resp = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|_| JwksError::Fetch)?;
        if !resp.status().is_success() {
            return Err(JwksError::Fetch);
        }
        resp.json::<JwkSet>().await.map_err(|_| JwksError::Fetch)
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, JwksError> {
        let lookup = |set: &JwkSet| {
            set.find(kid)
                .and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
        };
        {
            let cache = self.cache.read().await;
            if let Some(c) = cache.as_ref().filter(|c| c.fetched_at.elapsed() < self.ttl) {
                if let Some(k) = lookup(&c.keys) {
                    return Ok(k);
                }
                if c.fetched_at.elapsed() < Duration::from_secs(30) {
                    return Err(JwksError::UnknownKey);
                }
            }
        }
        let keys = self.fetch().await?;
        let found = lookup(&keys);
        *self.cache.write().await = Some(Cached {
            fetched_at: Instant::now(),
            keys,
        });
        found.ok_or(JwksError::UnknownKey)
    }

    /// Verify signature, algorithm, issuer, audience and time claims; return the claims.
    pub async fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        expect: &Expect<'_>,
    ) -> Result<T, JwksError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwksError::Header)?;
        if header.alg != Algorithm::RS256 {
            return Err(JwksError::Header);
        }
        let kid = header.kid.ok_or(JwksError::Header)?;
        let key = self.key_for(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(expect.issuers);
        validation.set_audience(&[expect.audience]);
        validation.leeway = expect.leeway_secs;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<T>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|e| JwksError::Invalid(e.into_kind()))
    }
}
