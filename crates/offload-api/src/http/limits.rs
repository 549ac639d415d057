//! Rate limits (spec §8): fixed windows per client address, then per install id, kept in the
//! database (dbkit::ratelimit) so several instances share them.
//!
//! The address dimension is checked and counted first; a request refused there does not touch
//! the install dimension, while one refused on the install dimension has used an address slot.
//! The client address is the socket peer unless that peer is a trusted proxy. It is stored only
//! as a keyed hash (HMAC-SHA256 under `Config::address_key`): the windows table never holds an
//! address in clear, and without the server's key a hash cannot be checked against guesses.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, connect_info::MockConnectInfo},
    http::{Extensions, HeaderMap},
};
use dbkit::Timestamp;
use hmac::{Hmac, Mac};

use crate::{
    model::ids::InstallId,
    state::AppState,
    store::{StoreError, group_commit::Admit},
};

pub use crate::store::group_commit::{Admission, Then, Throttled};

/// Which limiter: session issuance, AI inference or usage reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    Sessions,
    Inference,
    Reconcile,
}

/// The address part of a rate-limit bucket: 32 hex digits (128 bits) of
/// HMAC-SHA256(key, address), or of `unknown` when the peer is not known.
pub fn address_bucket(key: &[u8; 32], ip: Option<IpAddr>) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    match ip {
        Some(ip) => mac.update(ip.to_string().as_bytes()),
        None => mac.update(b"unknown"),
    }
    hex::encode(&mac.finalize().into_bytes()[..16])
}

/// The caller's address (see [`platform::client_ip`]).
pub fn client_ip(state: &AppState, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
        .or_else(|| {
            // In-process tests provide the peer through axum's `MockConnectInfo` layer.
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|MockConnectInfo(a)| a.ip())
        });
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    platform::client_ip::client_ip(peer, forwarded, &state.config.trusted_proxies)
}

/// Count one hit on the address dimension, then (if allowed) on the install dimension, then do
/// `then` — through the process's group committer, so that many requests share one commit.
pub async fn admit(
    state: &AppState,
    limiter: Limiter,
    ip: Option<IpAddr>,
    install: &InstallId,
    then: Then,
) -> Result<Admission, StoreError> {
    let (scope, ip_rate, install_rate) = match limiter {
        Limiter::Sessions => (
            "sessions",
            state.config.session_limit_per_ip,
            state.config.session_limit_per_install,
        ),
        Limiter::Inference => (
            "ai",
            state.config.ai_limit_per_ip,
            state.config.ai_limit_per_install,
        ),
        Limiter::Reconcile => (
            "reconcile",
            state.config.reconcile_limit_per_ip,
            state.config.reconcile_limit_per_install,
        ),
    };
    let ip = address_bucket(&state.config.address_key, ip);
    state
        .commits
        .admit(Admit {
            ip_bucket: format!("{scope}:ip:{ip}"),
            ip_rate,
            install_bucket: format!("{scope}:install:{}", install.as_str()),
            install_rate,
            install: install.clone(),
            now: Timestamp::from(state.clock.now()),
            then,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::address_bucket;

    #[test]
    fn address_buckets_are_keyed_hashes() {
        let ip = Some("198.51.100.7".parse().unwrap());
        let a = address_bucket(&[1; 32], ip);
        assert_eq!(a.len(), 32);
        assert!(!a.contains("198.51.100.7"));
        assert_eq!(a, address_bucket(&[1; 32], ip), "one address, one window");
        assert_ne!(a, address_bucket(&[2; 32], ip), "another key, another hash");
        assert_ne!(a, address_bucket(&[1; 32], None));
    }
}
