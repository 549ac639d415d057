//! Sign in with Apple: verify the identity token (RS256) against Apple's published keys.

use std::time::Duration;

use platform::jwks::{Expect, JwksClient, JwksError};
use serde::Deserialize;

/// Apple's issuer.
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";

#[derive(Deserialize)]
struct AppleClaims {
    sub: serde_json::Value,
}

/// Verifies Apple identity tokens for one bundle id.
pub struct AppleVerifier {
    jwks: JwksClient,
    bundle_id: String,
}

impl AppleVerifier {
    /// Keys are cached for 5 minutes; fetching them times out after 10 seconds.
    pub fn new(jwks_url: &str, bundle_id: &str) -> AppleVerifier {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        AppleVerifier {
            jwks: JwksClient::new(http, jwks_url, Duration::from_secs(300)),
            bundle_id: bundle_id.to_owned(),
        }
    }

    /// Apple's stable user id (`sub`) if the token is genuine, current and meant for this app.
    pub async fn verify(&self, identity_token: &str) -> Option<String> {
        let expect = Expect {
            issuers: &[APPLE_ISSUER],
            audience: &self.bundle_id,
            leeway_secs: 0,
        };
        match self
            .jwks
            .verify::<AppleClaims>(identity_token, &expect)
            .await
        {
            Ok(claims) => match claims.sub {
                serde_json::Value::String(sub) if !sub.is_empty() && !sub.contains('\0') => {
                    Some(sub)
                }
                _ => {
                    tracing::warn!(reason = "missing sub", "apple_token_validation_failed");
                    None
                }
            },
            Err(e) => {
                // A class only: never the token, nor a decoder message that could quote it.
                let reason = match e {
                    JwksError::Fetch => "jwks_fetch",
                    JwksError::Header => "header",
                    JwksError::UnknownKey => "unknown_key",
                    JwksError::Invalid(_) => "claims_or_signature",
                };
                tracing::warn!(reason, "apple_token_validation_failed");
                None
            }
        }
    }
}
