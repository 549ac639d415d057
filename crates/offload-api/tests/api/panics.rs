//! A panic inside a request answers the enveloped 500 `internal_error` with the request id (in
//! the body and the header), gives back what the request held, and the server keeps serving —
//! over a real socket, with the real router (`platform::panic::catch_panic`, as MealFrame).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ai_providers::{ChatProvider, ChatRequest, ChatResponse, ProviderError};
use futures::future::BoxFuture;
use offload_api::{
    model::ids::InstallId,
    store::usage::{self, Period},
};
use platform::clock::Clock;
use serde_json::{Value, json};

use crate::support::*;

/// A provider whose call panics (a bug in a client library, say).
struct PanickingProvider;

impl ChatProvider for PanickingProvider {
    fn name(&self) -> &str {
        "openai"
    }

    fn chat<'a>(
        &'a self,
        _request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async {
            panic!("model output that must not be sent");
            #[allow(unreachable_code)]
            Err(ProviderError::Transport)
        })
    }
}

#[tokio::test]
async fn a_panic_mid_request_answers_the_enveloped_500_and_the_server_keeps_serving() {
    let app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 1,
        ..s
    })
    .await;
    let token = app.token().await;
    let state = app.state.clone().with_provider(Arc::new(PanickingProvider));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            offload_api::router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");

    for round in 0..2 {
        let request_id = format!("panic-{round}");
        let r = client
            .post(format!("{base}/v1/ai/breakdown/generate"))
            .bearer_auth(&token)
            .header("x-offload-cloud-opt-in", "true")
            .header("x-request-id", &request_id)
            .header("content-type", "application/json")
            .body(json!({"input_text": "Clean the garage", "granularity": 2}).to_string())
            .send()
            .await
            .expect("the server answers");
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()["x-request-id"], request_id.as_str());
        assert_eq!(r.headers()["content-type"], "application/json");
        let text = r.text().await.unwrap();
        assert!(!text.contains("model output"), "{text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({"error": {
                "code": "internal_error",
                "message": "Internal server error",
                "request_id": request_id,
            }})
        );

        // The quota unit the call held is given back (from the dropped request's reservation),
        // so with a quota of 1 the second round is admitted again.
        let install = InstallId::parse(INSTALL).unwrap();
        let now = app.clock.now();
        let period = Period::at(app.state.config.quota_period, now);
        let mut held = 1;
        for _ in 0..100 {
            held = usage::pool_total(&app.state.db, &install, &period, now.into())
                .await
                .unwrap();
            if held == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(held, 0, "the unit is given back");

        // Still serving, on new connections too.
        let health = reqwest::get(format!("{base}/v1/health")).await.unwrap();
        assert_eq!(health.status(), 200);
        let session = reqwest::Client::new()
            .post(format!("{base}/v1/sessions/anonymous"))
            .header("content-type", "application/json")
            .body(
                json!({"install_id": "install-other", "app_version": "1.0", "platform": "ios"})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(session.status(), 200);
    }
    assert!(!server.is_finished(), "the server is still running");
    server.abort();
}
