//! Access tokens: HS256 JWTs with the original's claims (`sub`, `email`, `type: "access"`, `iat`,
//! `exp`), so tokens and secrets of an existing deployment stay valid, plus two of ours: `gen`,
//! the user's token generation (raised to end every access token at once; absent counts as 0)
//! and `auth_time`, when the sign-in behind the token happened (refreshes keep it; absent means
//! "not recently"). Expiry is checked against
//! the injectable clock, not the system time; only HS256 is accepted (`alg: none` is refused).

use dbkit::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mealframe_core::ids::UserId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub email: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default)]
    pub r#gen: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// A verified access token.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedAccess {
    pub user: UserId,
    pub generation: i64,
    pub auth_time: Option<i64>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(secret: &str, ttl: std::time::Duration) -> JwtKeys {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            ttl_secs: ttl.as_secs() as i64,
        }
    }

    pub fn issue(
        &self,
        user: UserId,
        email: &str,
        generation: i64,
        auth_time: Option<Timestamp>,
        now: Timestamp,
    ) -> String {
        let iat = now.unix_seconds();
        let claims = AccessClaims {
            sub: user.to_string(),
            email: email.to_owned(),
            kind: "access".into(),
            iat,
            exp: iat + self.ttl_secs,
            r#gen: generation,
            auth_time: auth_time.map(Timestamp::unix_seconds),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// `None` for anything that is not a valid, unexpired access token of ours.
    pub fn verify(&self, token: &str, now: Timestamp) -> Option<VerifiedAccess> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        if claims.kind != "access" || claims.exp < now.unix_seconds() {
            return None;
        }
        let user = claims.sub.parse::<UserId>().ok()?;
        Some(VerifiedAccess {
            user,
            generation: claims.r#gen,
            auth_time: claims.auth_time,
        })
    }
}
