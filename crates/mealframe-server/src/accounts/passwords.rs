//! Argon2id password hashing, always on the blocking pool (a hash costs tens of milliseconds and
//! must not stall the async runtime). Existing PHC strings with other parameters (the original
//! used m=65536,t=3,p=4) verify as they are.
//!
//! Argon2's work area (19 MiB with our parameters) is allocated here rather than inside the
//! crate, with a capacity of at least 32 MiB: glibc serves allocations that large from their own
//! mapping whatever its adaptive threshold says and unmaps them when freed. Left to itself, the
//! 19 MiB block came from the heap after the first hash and stayed resident in every blocking
//! thread that had ever hashed (each sign-in added ~20 MB of RSS that never went back).

use std::sync::OnceLock;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use rand::RngCore;

/// Blocks (1 KiB each) a work area holds at least: just over glibc's largest mmap threshold.
const MIN_WORK_AREA_BLOCKS: usize = 32 * 1024 + 1;

/// Run Argon2 with a work area of our own (see the module comment).
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    pwd: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let blocks = params.block_count();
    let mut area: Vec<Block> = Vec::with_capacity(blocks.max(MIN_WORK_AREA_BLOCKS));
    area.resize(blocks, Block::default());
    argon
        .hash_password_into_with_memory(pwd, salt, out, &mut area[..])
        .map_err(|e| e.to_string())
}

fn hash_blocking(password: &[u8]) -> Result<String, String> {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, &params, password, &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_blocking(password.as_bytes()))
        .await
        .map_err(|e| e.to_string())?
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon2_into(
        &argon,
        &params,
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
    )
    .is_ok()
        // `Output`'s equality is constant-time.
        && Output::new(&out).is_ok_and(|o| &o == expected)
}

/// A hash nobody's password matches, verified when an account has none, so that "no such user"
/// takes as long as "wrong password" (no account discovery by timing).
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_blocking(platform::secrets::random_token(24).as_bytes()).unwrap_or_default()
    })
}

/// Whether `password` matches `phc`; `None` (no password set, unknown user) is never a match.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            let _ = verify_blocking(&password, decoy());
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn our_hashes_are_standard_argon2id_phc_strings() {
        let phc = hash_blocking(b"correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        // The crate's own verifier agrees.
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(verify_blocking("correct horse", &phc));
        assert!(!verify_blocking("correct horsf", &phc));
    }

    #[test]
    fn hashes_made_elsewhere_with_other_parameters_verify() {
        // As the original stored them (m=65536, t=3, p=4), made by the crate's own hasher.
        let params = Params::new(65536, 3, 4, None).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let phc = argon.hash_password(b"hunter42").unwrap().to_string();
        assert!(phc.contains("m=65536,t=3,p=4"), "{phc}");
        assert!(verify_blocking("hunter42", &phc));
        assert!(!verify_blocking("hunter43", &phc));
    }

    #[test]
    fn malformed_or_incomplete_hashes_never_match() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$bcrypt$xyz",
        ] {
            assert!(!verify_blocking("x", phc), "{phc}");
        }
    }
}
