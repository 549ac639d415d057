//! Rate limits kept in the database (shared by instances): per client on the public account
//! routes, per user on AI capture.

use dbkit::ratelimit::{self, Rate};

use super::{AppError, AppResult};
use crate::state::AppState;

/// Count one hit in `bucket` (any key: a client address key, a user id); refused beyond `rate`.
pub async fn enforce(state: &AppState, bucket: &str, rate: Rate) -> AppResult<()> {
    let decision = ratelimit::hit(&state.db, bucket, rate, state.now())
        .await
        .map_err(|e| AppError::Internal(format!("rate limit: {e}")))?;
    if decision.allowed {
        Ok(())
    } else {
        Err(AppError::RateLimited {
            limit: rate.describe(),
            retry_after_secs: decision.retry_after_secs,
        })
    }
}

/// Count one hit of the limit `name` for one client (`client_key`: its address, or the key its
/// trusted proxy gave).
pub async fn per_client(
    state: &AppState,
    name: &str,
    rate: Rate,
    client_key: &str,
) -> AppResult<()> {
    enforce(state, &format!("{name}:{client_key}"), rate).await
}
