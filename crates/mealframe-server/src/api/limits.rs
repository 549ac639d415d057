//! Rate limits on API routes: per client on the public account routes, per user on AI capture
//! (the counting is the use cases': `app::limits`).

use dbkit::ratelimit::Rate;

use crate::{app, error::ApiResult, extract::ClientIp, state::AppState};

/// Count one hit for `name` from this client; 429 with `Retry-After` beyond the rate.
pub async fn enforce(state: &AppState, name: &str, rate: Rate, ip: &ClientIp) -> ApiResult<()> {
    Ok(app::limits::per_client(state, name, rate, &ip.key()).await?)
}

/// Count one hit in `bucket` (a user id …); 429 with `Retry-After` beyond the rate.
pub async fn enforce_bucket(state: &AppState, bucket: &str, rate: Rate) -> ApiResult<()> {
    Ok(app::limits::enforce(state, bucket, rate).await?)
}
