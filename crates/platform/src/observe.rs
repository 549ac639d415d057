//! The outermost middleware of both servers: request id, request span, access log, metrics.
//!
//! * `X-Request-ID`: a well-formed incoming id (1–128 visible ASCII characters) is reused, else a
//!   UUID is generated; it is put in the request extensions ([`RequestId`]) and on every response,
//!   500s included.
//! * Each request runs inside a span carrying the request id, method and matched route template,
//!   so any error logged while serving it names the request.
//! * One access line per request: request id, method, route template, status, latency. Never the
//!   query string, headers, cookies or bodies.
//! * Prometheus counters and latency histograms by method, route template and status.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

/// The id of the request being served.
#[derive(Debug, Clone)]
pub struct RequestId(pub std::sync::Arc<str>);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn acceptable_request_id(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| (0x21..=0x7e).contains(&b))).then_some(s)
}

/// The middleware; install with `axum::middleware::from_fn(observe)` as the outermost layer.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id: std::sync::Arc<str> = match req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
    {
        Some(s) => s.into(),
        None => uuid::Uuid::new_v4().to_string().into(),
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            status,
            latency_ms = latency.as_secs_f64() * 1000.0,
            "request complete"
        )
    });
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(latency.as_secs_f64());
    response
}

/// The process-wide Prometheus recorder (installed on first use) and its rendering handle.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0,
                ])
                .expect("static bucket list is valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by a test harness); rendering then
            // shows only what this handle sees, which is still a valid exposition.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_must_be_short_visible_ascii() {
        assert_eq!(
            acceptable_request_id(&HeaderValue::from_static("abc-123")),
            Some("abc-123")
        );
        assert_eq!(
            acceptable_request_id(&HeaderValue::from_static("has space")),
            None
        );
        assert_eq!(
            acceptable_request_id(&HeaderValue::from_str(&"x".repeat(129)).unwrap()),
            None
        );
        assert_eq!(acceptable_request_id(&HeaderValue::from_static("")), None);
    }
}
