//! A panicking handler answers a 500 and the server keeps serving: both servers put
//! [`catch_panic`] in their layer stack, inside `observe::observe` (so the answer carries the
//! request id header and is logged and counted like any response), each with its own 500 body.
//!
//! The panic payload is never logged nor sent: it can hold whatever value was being handled (a
//! prompt, a model's answer). The log line says only that a handler panicked; the binary's panic
//! hook may add the location.

use std::any::Any;

use axum::response::Response;
use tower_http::catch_panic::{CatchPanicLayer, ResponseForPanic};

/// What a service answers when a handler panics.
#[derive(Clone, Copy)]
pub struct PanicResponse(fn() -> Response);

impl ResponseForPanic for PanicResponse {
    type ResponseBody = axum::body::Body;

    fn response_for_panic(&mut self, _payload: Box<dyn Any + Send + 'static>) -> Response {
        tracing::error!("handler panicked");
        (self.0)()
    }
}

/// The layer that turns a panic into `respond()` (which should be a 500 in the service's usual
/// error shape).
pub fn catch_panic(respond: fn() -> Response) -> CatchPanicLayer<PanicResponse> {
    CatchPanicLayer::custom(PanicResponse(respond))
}

#[cfg(test)]
mod tests {
    use axum::{
        Router,
        body::Body,
        http::{Request, StatusCode},
        response::IntoResponse,
        routing::get,
    };
    use tower::ServiceExt;

    use super::*;

    fn teapot() -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, "the fixed body").into_response()
    }

    async fn boom() -> &'static str {
        panic!("a secret that must not be sent")
    }

    #[tokio::test]
    async fn a_panic_answers_the_fixed_response_and_the_router_keeps_serving() {
        let app = Router::new()
            .route("/boom", get(boom))
            .route("/fine", get(|| async { "fine" }))
            .layer(catch_panic(teapot));
        for _ in 0..2 {
            let r = app
                .clone()
                .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body = axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(&body[..], b"the fixed body");
            let r = app
                .clone()
                .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    }
}
