//! Health, request ids, fallbacks, metrics, OpenAPI and Swagger UI, migrations.

use axum::{body::Body, http::Request};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn health_reports_service_version_and_environment() {
    let app = TestApp::new().await;
    let r = app.get("/v1/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"status":"ok","service":"offload-backend-api","version":"test-build","environment":"development"})
    );
}

#[tokio::test]
async fn an_incoming_request_id_is_echoed_in_header_and_error_body() {
    let app = TestApp::new().await;
    let r = app
        .send(
            Request::post("/v1/usage/reconcile")
                .header("x-request-id", "req-abc-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.assert_error(401, "unauthorized");
    assert_eq!(r.headers["x-request-id"], "req-abc-123");
    assert_eq!(r.body["error"]["request_id"], "req-abc-123");
    assert_eq!(r.body["error"]["message"], "Missing bearer token");
}

#[tokio::test]
async fn a_request_id_is_generated_when_none_is_sent() {
    let app = TestApp::new().await;
    let r = app.get("/v1/health").await;
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID");
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_like_the_original() {
    let app = TestApp::new().await;
    let r = app.get("/health").await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (404, json!({"detail":"Not Found"}))
    );
    assert!(r.headers.contains_key("x-request-id"));
    let r = app.get("/v1/sessions/anonymous").await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (405, json!({"detail":"Method Not Allowed"}))
    );
    let r = app.get("/v1/health/").await;
    assert_eq!(r.status, 307);
    assert_eq!(r.headers["location"], "/v1/health");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_without_content() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 10, 20).await;
    let token = app.token().await;
    let canary = "metrics-canary-6b1f";
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text": canary, "granularity": 2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let m = app.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.text.contains("http_requests_total"), "{}", m.text);
    assert!(m.text.contains("route=\"/v1/ai/breakdown/generate\""));
    assert!(m.text.contains("offload_provider_calls_total"));
    assert!(m.text.contains("provider=\"openai\""));
    assert!(m.text.contains("offload_provider_tokens_total"));
    assert!(!m.text.contains(canary));
    assert!(!m.text.contains(INSTALL));
}

#[tokio::test]
async fn openapi_document_lists_every_route_and_swagger_ui_is_served() {
    let app = TestApp::new().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    for p in [
        "/v1/health",
        "/v1/sessions/anonymous",
        "/v1/auth/apple",
        "/v1/ai/breakdown/generate",
        "/v1/ai/braindump/compile",
        "/v1/ai/decide/recommend",
        "/v1/ai/executive-function/prompt",
        "/v1/ai/communication/draft",
        "/v1/usage/reconcile",
    ] {
        assert!(r.body["paths"].get(p).is_some(), "{p} missing");
    }
    let ui = app.get("/docs/").await;
    assert_eq!(ui.status, 200);
    assert!(
        ui.text.contains("swagger"),
        "{}",
        &ui.text[..ui.text.len().min(200)]
    );
}

#[tokio::test]
async fn docs_can_be_switched_off() {
    let app = TestApp::with(|s| offload_api::Settings {
        docs_enabled: false,
        ..s
    })
    .await;
    assert_eq!(app.get("/openapi.json").await.status, 404);
}

#[test]
fn both_engines_have_the_same_migration_versions() {
    let list = |engine: &str| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(engine);
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .map(|n| n.split('_').next().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (list("sqlite"), list("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}
