//! Per-IP rate limits of the public account routes, kept in the database (shared by instances).

use dbkit::ratelimit::{self, Rate};

use crate::{
    error::{ApiError, ApiResult},
    extract::ClientIp,
    state::AppState,
};

/// Count one hit for `name` from this client; 429 with `Retry-After` beyond the rate.
pub async fn enforce(state: &AppState, name: &str, rate: Rate, ip: &ClientIp) -> ApiResult<()> {
    let bucket = format!("{name}:{}", ip.key());
    let decision = ratelimit::hit(&state.db, &bucket, rate, state.now()).await?;
    if decision.allowed {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            limit: rate.describe(),
            retry_after_secs: decision.retry_after_secs,
        })
    }
}
