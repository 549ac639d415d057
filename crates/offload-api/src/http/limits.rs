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
use dbkit::{Timestamp, ratelimit};
use hmac::{Hmac, Mac};

use crate::{
    model::ids::{Feature, InstallId},
    state::AppState,
    store::{
        StoreError,
        usage::{self, Period, ReservationId, Reserved, Room},
    },
};

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

/// A refusal: which dimension and how long until its window closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub dimension: &'static str,
    pub retry_after: u64,
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

/// What else the admitting transaction does once both limits pass.
pub enum Then<'a> {
    /// Nothing (sessions).
    Nothing,
    /// The content is over the character limit: answer 413 (the slots stay used).
    TooLarge,
    /// Reserve a quota unit (AI pool features) until `expires_at`.
    Reserve {
        period: &'a Period,
        feature: Feature,
        quota: u32,
        expires_at: Timestamp,
    },
}

/// The outcome of [`admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Both limits passed; with [`Then::Reserve`], the unit now held.
    Admitted(Option<ReservationId>),
    Throttled(Throttled),
    TooLarge,
    QuotaFull,
    /// The pool is full only of calls still in flight.
    QuotaBusy,
}

/// Count one hit on the address dimension, then (if allowed) on the install dimension, then do
/// `then` — all in one write transaction, so a request costs one commit.
pub async fn admit(
    state: &AppState,
    limiter: Limiter,
    ip: Option<IpAddr>,
    install: &InstallId,
    then: Then<'_>,
) -> Result<Admission, StoreError> {
    let (scope, per_ip, per_install) = match limiter {
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
    let now = Timestamp::from(state.clock.now());
    let ip = address_bucket(&state.config.address_key, ip);
    let mut tx = state.db.begin().await?;
    if tx.conn().is_postgres() {
        // Every request of one address updates the same window row, which stays locked until
        // commit; not waiting for the WAL flush keeps that lock short. A crash may forget the
        // last moments of hits and reservations (the app's reconcile restores counts: highest
        // number wins). SQLite's `synchronous=NORMAL` makes the same trade.
        dbkit::execute!(tx.conn(), "SET LOCAL synchronous_commit TO OFF")?;
    }
    let by_ip = ratelimit::hit_on(tx.conn(), &format!("{scope}:ip:{ip}"), per_ip, now).await?;
    let outcome = if !by_ip.allowed {
        Admission::Throttled(Throttled {
            dimension: "ip",
            retry_after: by_ip.retry_after_secs,
        })
    } else {
        let bucket = format!("{scope}:install:{}", install.as_str());
        let by_install = ratelimit::hit_on(tx.conn(), &bucket, per_install, now).await?;
        if !by_install.allowed {
            Admission::Throttled(Throttled {
                dimension: "install_id",
                retry_after: by_install.retry_after_secs,
            })
        } else {
            match then {
                Then::Nothing => Admission::Admitted(None),
                Then::TooLarge => Admission::TooLarge,
                Then::Reserve {
                    period,
                    feature,
                    quota,
                    expires_at,
                } => {
                    match usage::reserve_on(
                        &mut tx, install, period, feature, quota, now, expires_at,
                    )
                    .await?
                    {
                        Reserved::Held(id) => Admission::Admitted(Some(id)),
                        Reserved::Refused(Room::Busy) => Admission::QuotaBusy,
                        Reserved::Refused(_) => Admission::QuotaFull,
                    }
                }
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
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
