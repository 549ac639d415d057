//! Session tokens "v2" (spec §3): `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`.
//!
//! Not a JWT: no header segment. The payload is compact JSON with the claims in the original's
//! order (`v, kid, iat, nbf, iss, aud, install_id, exp`, then `user_id` for Apple sessions), so a
//! token issued here for the §3.1 test vector is byte-identical to the original's. Several keys
//! can verify (by `kid`); the active one signs, which is how keys rotate without logging anyone
//! out. Verification follows §3.2 step by step, because the order decides the error code.

use std::collections::BTreeMap;

use base64::{
    Engine as _,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

use crate::{config::TokenSettings, model::ids::InstallId};

/// URL-safe base64 without padding on output, padding optional on input.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid session token")]
    Invalid,
    #[error("session token expired")]
    Expired,
}

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub install_id: InstallId,
    pub user_id: Option<String>,
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Serialize)]
struct Claims<'a> {
    v: u8,
    kid: &'a str,
    iat: i64,
    nbf: i64,
    iss: &'a str,
    aud: &'a str,
    install_id: &'a str,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

/// Issues and verifies session tokens.
#[derive(Clone)]
pub struct TokenService {
    issuer: String,
    audience: String,
    ttl_seconds: i64,
    active_kid: String,
    keys: BTreeMap<String, Vec<u8>>,
}

impl TokenService {
    pub fn new(settings: &TokenSettings) -> TokenService {
        TokenService {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_seconds: settings.ttl_seconds,
            active_kid: settings.active_kid.clone(),
            keys: settings
                .keys
                .iter()
                .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// Sign a token for `install_id` issued at `now` (Unix seconds).
    pub fn issue(&self, install_id: &str, user_id: Option<&str>, now: i64) -> Issued {
        let exp = now.saturating_add(self.ttl_seconds);
        let claims = Claims {
            v: 2,
            kid: &self.active_kid,
            iat: now,
            nbf: now,
            iss: &self.issuer,
            aud: &self.audience,
            install_id,
            exp,
            user_id,
        };
        let payload = serde_json::to_vec(&claims).expect("claims serialize");
        let key = &self.keys[&self.active_kid];
        Issued {
            token: sign(&payload, key),
            expires_at: exp,
        }
    }

    /// Verify `token` at `now` (Unix seconds), in the order of spec §3.2.
    pub fn verify(&self, token: &str, now: i64) -> Result<Session, TokenError> {
        use TokenError::Invalid;
        // 1. payload "." signature (split on the first dot; more dots end up in the signature).
        let (payload_seg, signature_seg) = token.split_once('.').ok_or(Invalid)?;
        // 2. the payload is a JSON object.
        let payload = B64.decode(payload_seg).map_err(|_| Invalid)?;
        let Value::Object(claims) = serde_json::from_slice(&payload).map_err(|_| Invalid)? else {
            return Err(Invalid);
        };
        // 3. a known kid, before any signature work.
        let kid = claims.get("kid").and_then(claim_str).ok_or(Invalid)?;
        if kid.is_empty() {
            return Err(Invalid);
        }
        let key = self.keys.get(&kid).ok_or(Invalid)?;
        // 4. the signature over the payload segment, compared in constant time.
        let signature = B64.decode(signature_seg).map_err(|_| Invalid)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(payload_seg.as_bytes());
        mac.verify_slice(&signature).map_err(|_| Invalid)?;
        // 5. every v2 claim is present.
        let int = |name: &str| claims.get(name).and_then(claim_int).ok_or(Invalid);
        let string = |name: &str| claims.get(name).and_then(claim_str).ok_or(Invalid);
        let (v, iat, nbf, exp) = (int("v")?, int("iat")?, int("nbf")?, int("exp")?);
        let (iss, aud, install_id) = (string("iss")?, string("aud")?, string("install_id")?);
        // 6. metadata, with no clock-skew leeway.
        if v != 2 || iss != self.issuer || aud != self.audience || nbf < iat || now < nbf {
            return Err(Invalid);
        }
        // 7. only then expiry.
        if exp <= now {
            return Err(TokenError::Expired);
        }
        let user_id = claims.get("user_id").and_then(claim_str);
        Ok(Session {
            install_id: InstallId::from_token(install_id),
            user_id,
        })
    }
}

/// `payload.signature` for a payload with `key` (also used by tests to forge edge cases).
pub fn sign(payload: &[u8], key: &[u8]) -> String {
    let payload_seg = B64.encode(payload);
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(payload_seg.as_bytes());
    let signature = mac.finalize().into_bytes();
    format!("{payload_seg}.{}", B64.encode(signature))
}

/// Sign an already-encoded payload segment (for tests of undecodable payloads).
pub fn sign_segment(payload_seg: &str, key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(payload_seg.as_bytes());
    format!("{payload_seg}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// Numeric claims are read leniently like the original (`2`, `2.7` and `"2"` all read as 2).
fn claim_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// String claims are stringified like the original.
fn claim_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = "eyJ2IjoyLCJraWQiOiJ2Mi1kZWZhdWx0IiwiaWF0IjoxNzcxMjQzMjAwLCJuYmYiOjE3NzEyNDMyMDAsImlzcyI6Im9mZmxvYWQtYmFja2VuZCIsImF1ZCI6Im9mZmxvYWQtaW9zIiwiaW5zdGFsbF9pZCI6Imluc3RhbGwtMTIzNDUiLCJleHAiOjE3NzEyNDY4MDB9.w5Y2Eg8gsbsAXqcQxsbHTFWAx1XSS2umRdGdngypVXU";
    const VECTOR_WITH_USER: &str = "eyJ2IjoyLCJraWQiOiJ2Mi1kZWZhdWx0IiwiaWF0IjoxNzcxMjQzMjAwLCJuYmYiOjE3NzEyNDMyMDAsImlzcyI6Im9mZmxvYWQtYmFja2VuZCIsImF1ZCI6Im9mZmxvYWQtaW9zIiwiaW5zdGFsbF9pZCI6Imluc3RhbGwtMTIzNDUiLCJleHAiOjE3NzEyNDY4MDAsInVzZXJfaWQiOiIzZjFjMmI4ZS0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEifQ.O2mxrTQE09VeKNpoUeR6zpovhtqGsaK1ZHyfdvadkGI";
    const IAT: i64 = 1_771_243_200;

    fn service() -> TokenService {
        TokenService::new(&TokenSettings {
            issuer: "offload-backend".into(),
            audience: "offload-ios".into(),
            ttl_seconds: 3600,
            active_kid: "v2-default".into(),
            keys: BTreeMap::from([(
                "v2-default".into(),
                "example-secret-0123456789-abcdefghij".into(),
            )]),
        })
    }

    #[test]
    fn issuing_reproduces_the_spec_test_vectors_byte_for_byte() {
        let s = service();
        assert_eq!(s.issue("install-12345", None, IAT).token, VECTOR);
        assert_eq!(
            s.issue(
                "install-12345",
                Some("3f1c2b8e-0000-4000-8000-000000000001"),
                IAT
            )
            .token,
            VECTOR_WITH_USER
        );
    }

    #[test]
    fn the_spec_test_vectors_verify() {
        let s = service();
        let session = s.verify(VECTOR, IAT + 10).unwrap();
        assert_eq!(session.install_id.as_str(), "install-12345");
        assert_eq!(session.user_id, None);
        let session = s.verify(VECTOR_WITH_USER, IAT).unwrap();
        assert_eq!(
            session.user_id.as_deref(),
            Some("3f1c2b8e-0000-4000-8000-000000000001")
        );
    }

    #[test]
    fn expiry_is_exclusive_and_checked_last() {
        let s = service();
        assert!(s.verify(VECTOR, IAT + 3599).is_ok());
        assert_eq!(s.verify(VECTOR, IAT + 3600), Err(TokenError::Expired));
        assert_eq!(
            s.verify(VECTOR, IAT - 1),
            Err(TokenError::Invalid),
            "no leeway on nbf"
        );
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let s = service();
        for t in [
            "invalid-token",
            "payload.signature.extra",
            ".",
            "payload.",
            ".signature",
            "payload.!@#$",
            "",
        ] {
            assert_eq!(s.verify(t, IAT), Err(TokenError::Invalid), "{t}");
        }
        let extra_dot = format!("{VECTOR}.x");
        assert_eq!(s.verify(&extra_dot, IAT), Err(TokenError::Invalid));
    }

    #[test]
    fn a_validly_signed_undecodable_payload_is_invalid() {
        let s = service();
        let t = sign_segment("%%%", b"example-secret-0123456789-abcdefghij");
        assert_eq!(s.verify(&t, IAT), Err(TokenError::Invalid));
    }

    #[test]
    fn wrong_metadata_beats_expiry() {
        let s = service();
        let key = b"example-secret-0123456789-abcdefghij";
        let old = |iss: &str, aud: &str, kid: &str| {
            let payload = serde_json::json!({"v":2,"kid":kid,"iat":IAT,"nbf":IAT,"iss":iss,"aud":aud,"install_id":"install-12345","exp":IAT+300});
            sign(payload.to_string().as_bytes(), key)
        };
        let later = IAT + 10_000;
        assert_eq!(
            s.verify(&old("offload-backend", "offload-ios", "v2-default"), later),
            Err(TokenError::Expired)
        );
        assert_eq!(
            s.verify(&old("other", "offload-ios", "v2-default"), later),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            s.verify(&old("offload-backend", "other", "v2-default"), later),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            s.verify(&old("offload-backend", "offload-ios", "nope"), later),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn legacy_v1_tokens_are_invalid() {
        let s = service();
        let payload = serde_json::json!({"install_id":"install-12345","exp":IAT+300});
        let t = sign(
            payload.to_string().as_bytes(),
            b"example-secret-0123456789-abcdefghij",
        );
        assert_eq!(s.verify(&t, IAT), Err(TokenError::Invalid));
    }

    #[test]
    fn tokens_signed_by_any_configured_kid_verify_and_the_active_kid_signs() {
        let rotated = TokenService::new(&TokenSettings {
            issuer: "offload-backend".into(),
            audience: "offload-ios".into(),
            ttl_seconds: 3600,
            active_kid: "v3".into(),
            keys: BTreeMap::from([
                (
                    "v2-default".into(),
                    "example-secret-0123456789-abcdefghij".into(),
                ),
                ("v3".into(), "a-brand-new-secret-for-the-next-kid".into()),
            ]),
        });
        assert!(
            rotated.verify(VECTOR, IAT).is_ok(),
            "old tokens survive rotation"
        );
        let fresh = rotated.issue("install-12345", None, IAT).token;
        assert!(rotated.verify(&fresh, IAT).is_ok());
        assert_eq!(
            service().verify(&fresh, IAT),
            Err(TokenError::Invalid),
            "unknown kid"
        );
    }
}
