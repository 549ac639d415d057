//! Random bearer secrets (refresh tokens, e-mail links, sessions, OAuth state) and their stored
//! form: only the SHA-256 hex digest of a token is ever written to the database.

use sha2::{Digest, Sha256};

/// 48 random bytes, URL-safe base64 without padding: 64 characters, as the original's tokens.
pub fn new_token() -> String {
    platform::secrets::random_token(48)
}

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
