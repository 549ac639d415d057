//! Rate limits kept in the database (shared by instances): per IP on the public account routes,
//! per user on AI capture.

use dbkit::ratelimit::{self, Rate};

use crate::{
    error::{ApiError, ApiResult},
    extract::ClientIp,
    state::AppState,
};

/// Count one hit for `name` from this client; 429 with `Retry-After` beyond the rate.
pub async fn enforce(state: &AppState, name: &str, rate: Rate, ip: &ClientIp) -> ApiResult<()> {
    enforce_bucket(state, &format!("{name}:{}", ip.key()), rate).await
}

/// Count one hit in `bucket` (any key: an IP, a user id); 429 with `Retry-After` beyond the rate.
pub async fn enforce_bucket(state: &AppState, bucket: &str, rate: Rate) -> ApiResult<()> {
    let decision = ratelimit::hit(&state.db, bucket, rate, state.now()).await?;
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            limit: rate.describe(),
            retry_after_secs: decision.retry_after_secs,
        })
    }
}
