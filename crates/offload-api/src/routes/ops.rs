//! Operations endpoints: Prometheus metrics (counts and latencies by route, status and provider;
//! never content).

use axum::{http::header::CONTENT_TYPE, response::IntoResponse};

pub async fn metrics() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        platform::observe::metrics_handle().render(),
    )
}
