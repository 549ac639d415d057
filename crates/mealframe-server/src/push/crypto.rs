//! The two pieces of Web Push cryptography, on `aws-lc-rs` (already the crypto of our TLS and
//! JWTs): the payload encryption of RFC 8291 (`aes128gcm` content coding, RFC 8188), so the push
//! service carries only ciphertext, and the VAPID signature of RFC 8292, which proves to the push
//! service that the pushes come from the server whose public key the browser subscribed with.

use aws_lc_rs::{
    aead::{self, AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey},
    agreement::{self, ECDH_P256, PrivateKey, UnparsedPublicKey},
    encoding::AsBigEndian,
    error::Unspecified,
    hkdf::{self, HKDF_SHA256, KeyType, Salt},
    rand,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// The record size written into the header: one record holds the whole (small) payload.
const RECORD_SIZE: u32 = 4096;
/// Largest plaintext that fits one record (record size − delimiter − tag).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 1 - 16;

/// A browser key that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("keys.p256dh must be a base64url P-256 public key (65 bytes, uncompressed)")]
    PublicKey,
    #[error("keys.auth must be a base64url 16-byte secret")]
    AuthSecret,
}

fn decode(s: &str) -> Option<Vec<u8>> {
    // Browsers send base64url without padding; accept padding too.
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// Check a subscription's keys as the browser sent them.
pub fn check_keys(p256dh: &str, auth: &str) -> Result<(), KeyError> {
    let public = decode(p256dh).ok_or(KeyError::PublicKey)?;
    if public.len() != 65 || public[0] != 4 {
        return Err(KeyError::PublicKey);
    }
    // A point not on the curve fails the key agreement: find out now, not at the first push.
    let probe = PrivateKey::generate(&ECDH_P256).map_err(|_| KeyError::PublicKey)?;
    agreement::agree(
        &probe,
        UnparsedPublicKey::new(&ECDH_P256, &public),
        KeyError::PublicKey,
        |_| Ok(()),
    )?;
    match decode(auth) {
        Some(a) if a.len() == 16 => Ok(()),
        _ => Err(KeyError::AuthSecret),
    }
}

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), Unspecified> {
    prk.expand(info, Len(out.len()))?.fill(out)
}

/// The content-encryption key and nonce of RFC 8291 §3.4 / RFC 8188 §2.2 for one message.
pub fn derive_key_and_nonce(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> Result<([u8; 16], [u8; 12]), Unspecified> {
    let prk_key = Salt::new(HKDF_SHA256, auth_secret).extract(ecdh_secret);
    let mut ikm = [0u8; 32];
    expand(
        &prk_key,
        &[b"WebPush: info\0", ua_public, as_public],
        &mut ikm,
    )?;
    let prk = Salt::new(HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;
    Ok((cek, nonce))
}

/// Encrypt `plaintext` (at most [`MAX_PLAINTEXT`] bytes) to the browser's keys: the request body
/// of the push, `salt ‖ rs ‖ idlen ‖ keyid (our one-time public key) ‖ ciphertext`.
pub fn encrypt(p256dh: &str, auth: &str, plaintext: &[u8]) -> Result<Vec<u8>, Unspecified> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(Unspecified);
    }
    let ua_public = decode(p256dh).ok_or(Unspecified)?;
    let auth_secret = decode(auth).ok_or(Unspecified)?;
    // A fresh key pair and salt per message (RFC 8291 §3.1).
    let ephemeral = PrivateKey::generate(&ECDH_P256)?;
    let as_public = ephemeral.compute_public_key()?;
    let ecdh_secret = agreement::agree(
        &ephemeral,
        UnparsedPublicKey::new(&ECDH_P256, &ua_public),
        Unspecified,
        |s| Ok(s.to_vec()),
    )?;
    let mut salt = [0u8; 16];
    rand::fill(&mut salt)?;
    let (cek, nonce) = derive_key_and_nonce(
        &ecdh_secret,
        &auth_secret,
        &ua_public,
        as_public.as_ref(),
        &salt,
    )?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek)?);
    let mut record = Vec::with_capacity(plaintext.len() + 1 + aead::MAX_TAG_LEN);
    record.extend_from_slice(plaintext);
    record.push(2); // the last (and only) record's delimiter, no padding
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut record,
    )?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.as_ref().len() as u8);
    body.extend_from_slice(as_public.as_ref());
    body.extend_from_slice(&record);
    Ok(body)
}

/// The server's VAPID key pair (ECDSA P-256).
pub struct VapidKey {
    pair: EcdsaKeyPair,
    /// The private scalar, base64url (how it is stored and configured).
    private_b64: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_b64())
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    /// A new random key.
    pub fn generate() -> Result<VapidKey, Unspecified> {
        let private = PrivateKey::generate(&ECDH_P256)?;
        let raw: aws_lc_rs::encoding::EcPrivateKeyBin<'_> = private.as_be_bytes()?;
        VapidKey::from_base64(&URL_SAFE_NO_PAD.encode(raw.as_ref())).map_err(|_| Unspecified)
    }

    /// The key from its private scalar (32 bytes, base64url) — the format `web-push` tools print.
    pub fn from_base64(private_b64: &str) -> Result<VapidKey, String> {
        let bad =
            || "the VAPID private key must be a base64url P-256 private key (32 bytes)".to_owned();
        let raw = decode(private_b64.trim()).ok_or_else(bad)?;
        if raw.len() != 32 {
            return Err(bad());
        }
        let ecdh = PrivateKey::from_private_key(&ECDH_P256, &raw).map_err(|_| bad())?;
        let public = ecdh.compute_public_key().map_err(|_| bad())?;
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &raw,
            public.as_ref(),
        )
        .map_err(|_| bad())?;
        Ok(VapidKey {
            pair,
            private_b64: URL_SAFE_NO_PAD.encode(&raw),
        })
    }

    pub fn private_b64(&self) -> &str {
        &self.private_b64
    }

    /// The public key, base64url of the uncompressed point: the browser's
    /// `applicationServerKey`, and `k=` of the `Authorization` header.
    pub fn public_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    /// `Authorization: vapid t=<JWT>, k=<public key>` for a push to `endpoint`, valid until
    /// `expires` (Unix seconds; at most 24 h ahead, RFC 8292 §2).
    pub fn authorization(
        &self,
        endpoint: &str,
        subject: &str,
        expires: i64,
    ) -> Result<String, Unspecified> {
        let audience = origin(endpoint).ok_or(Unspecified)?;
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": expires, "sub": subject });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature = self
            .pair
            .sign(&rand::SystemRandom::new(), signing_input.as_bytes())?;
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            URL_SAFE_NO_PAD.encode(signature.as_ref()),
            self.public_b64()
        ))
    }
}

/// `scheme://host[:port]` of a URL: the JWT's audience.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vapid_key_survives_its_stored_form() {
        let key = VapidKey::generate().unwrap();
        let again = VapidKey::from_base64(key.private_b64()).unwrap();
        assert_eq!(key.public_b64(), again.public_b64());
        assert_eq!(URL_SAFE_NO_PAD.decode(key.public_b64()).unwrap().len(), 65);
        assert!(VapidKey::from_base64("short").is_err());
    }

    #[test]
    fn the_audience_is_the_endpoint_origin() {
        assert_eq!(
            origin("https://fcm.googleapis.com/fcm/send/abc?x").as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:9/p").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(origin("nonsense"), None);
    }

    #[test]
    fn browser_keys_of_the_wrong_length_or_off_the_curve_are_refused() {
        let ua = PrivateKey::generate(&ECDH_P256).unwrap();
        let public = URL_SAFE_NO_PAD.encode(ua.compute_public_key().unwrap().as_ref());
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        assert_eq!(check_keys(&public, &auth), Ok(()));
        assert_eq!(check_keys(&public, "AAAA"), Err(KeyError::AuthSecret));
        assert_eq!(check_keys("AAAA", &auth), Err(KeyError::PublicKey));
        let mut off_curve = vec![4u8];
        off_curve.extend([1u8; 64]);
        assert_eq!(
            check_keys(&URL_SAFE_NO_PAD.encode(off_curve), &auth),
            Err(KeyError::PublicKey)
        );
    }
}
