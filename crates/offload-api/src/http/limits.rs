//! Rate limits (spec §8): fixed windows per client address, then per install id, kept in the
//! database (dbkit::ratelimit) so several instances share them.
//!
//! The address dimension is checked and counted first; a request refused there does not touch
//! the install dimension, while one refused on the install dimension has used an address slot.
//! The client address is the socket peer unless that peer is a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, connect_info::MockConnectInfo},
    http::{Extensions, HeaderMap},
};
use dbkit::{Timestamp, ratelimit};

use crate::{
    model::ids::{Feature, InstallId},
    state::AppState,
    store::usage::{self, Period},
};

/// Which limiter: session issuance or AI inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    Sessions,
    Inference,
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
    /// Reserve a quota unit (AI pool features).
    Reserve {
        period: &'a Period,
        feature: Feature,
        quota: u32,
    },
}

/// The outcome of [`admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    Throttled(Throttled),
    TooLarge,
    QuotaFull,
}

/// Count one hit on the address dimension, then (if allowed) on the install dimension, then do
/// `then` — all in one write transaction, so a request costs one commit.
pub async fn admit(
    state: &AppState,
    limiter: Limiter,
    ip: Option<IpAddr>,
    install: &InstallId,
    then: Then<'_>,
) -> Result<Admission, sqlx::Error> {
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
    };
    let now = Timestamp::from(state.clock.now());
    let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
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
                Then::Nothing => Admission::Admitted,
                Then::TooLarge => Admission::TooLarge,
                Then::Reserve {
                    period,
                    feature,
                    quota,
                } => {
                    if usage::reserve_on(&mut tx, install, period, feature, quota).await? {
                        Admission::Admitted
                    } else {
                        Admission::QuotaFull
                    }
                }
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}
