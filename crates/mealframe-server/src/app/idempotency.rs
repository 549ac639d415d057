//! Replay-safe writes (`Idempotency-Key`): the first request with a key claims it, its answer is
//! stored, and a repeat gets that answer instead of applying the change again. The front door
//! (`api::idempotency`) reads and writes HTTP; the rules are here.
//!
//! A claim names its owner (`platform::instance`) and holds for a short lease that the owner
//! renews while the request runs. A claim left by a process that died is taken over at once when
//! the owner ran on this machine (its process is gone), and when its lease runs out otherwise.

use mealframe_core::ids::UserId;
use mealframe_store::accounts::idempotency::{self, Claim, Claimant};
use platform::instance::Instance;

use super::AppResult;
use crate::state::AppState;

/// How long a claim holds without renewal, and how often a running request renews it.
pub const LEASE: time::Duration = time::Duration::seconds(10);
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// This process as the owner of claims.
fn owner() -> &'static str {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER.get_or_init(|| Instance::current().id())
}

fn owner_gone(other: &str) -> bool {
    Instance::current().is_gone(other)
}

/// Claim `key` for `user`'s request `fingerprint` ("METHOD /path"), or learn what happened to it.
pub async fn claim(
    state: &AppState,
    user: UserId,
    key: &str,
    fingerprint: &str,
) -> AppResult<Claim> {
    let now = state.now();
    let me = Claimant {
        owner: owner(),
        lease_until: now.plus(LEASE),
        owner_gone: &owner_gone,
    };
    // A key never seen before (nearly every request) is one INSERT: no transaction around it
    // on SQLite (`Db::begin_single`). A known key is looked at in a transaction of its own.
    let mut tx = state.db.begin_single().await?;
    let fresh = idempotency::insert_claim(&mut tx.conn(), user, key, fingerprint, now, &me).await?;
    tx.commit().await?;
    if fresh {
        return Ok(Claim::Fresh);
    }
    let mut tx = state.db.begin().await?;
    let c = idempotency::claim(&mut tx.conn(), user, key, fingerprint, now, &me).await?;
    tx.commit().await?;
    Ok(c)
}

/// Extend this process's claim on `key` (its request is still running).
pub async fn renew(state: &AppState, user: UserId, key: &str) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let until = state.now().plus(LEASE);
    idempotency::renew(&mut tx.conn(), user, key, owner(), until).await?;
    tx.commit().await?;
    Ok(())
}

/// An answer to keep for replays.
pub struct Answer<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
}

/// The request finished: keep its answer.
pub async fn finish(
    state: &AppState,
    user: UserId,
    key: &str,
    answer: &Answer<'_>,
) -> AppResult<()> {
    // One UPDATE: no transaction around it on SQLite (`Db::begin_single`).
    let mut tx = state.db.begin_single().await?;
    idempotency::complete(
        &mut tx.conn(),
        user,
        key,
        answer.status,
        answer.content_type,
        answer.body,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The request failed on our side: release the key so the client may retry — unless its change
/// had committed, in which case `lost` becomes its answer (the change must not run twice).
pub async fn fail(state: &AppState, user: UserId, key: &str, lost: &Answer<'_>) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    if !idempotency::release(&mut tx.conn(), user, key).await? {
        idempotency::complete(
            &mut tx.conn(),
            user,
            key,
            lost.status,
            lost.content_type,
            lost.body,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
