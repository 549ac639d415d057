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
async fn every_routed_path_with_a_trailing_slash_redirects() {
    let app = TestApp::new().await;
    let documented: Vec<String> = offload_api::openapi::openapi()
        .paths
        .paths
        .into_keys()
        .collect();
    assert_eq!(documented.len(), 10);
    // `/docs/` is Swagger UI's own page.
    let undocumented = ["/metrics", "/openapi.json"];
    for path in documented.iter().map(String::as_str).chain(undocumented) {
        let r = app.get(&format!("{path}/?x=1")).await;
        assert_eq!(r.status, 307, "{path}");
        assert_eq!(r.headers["location"], format!("{path}?x=1"), "{path}");
    }
    assert_eq!(app.get("/docs/").await.status, 200);
    let r = app.get("/v1/ai/").await;
    assert_eq!(r.status, 404, "a prefix of a route is not a route");
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

/// The real binary: starts with zero configuration (AI routes answer 503 until a provider is
/// configured), serves on loopback, and exits cleanly on SIGTERM.
#[tokio::test]
async fn the_binary_starts_without_configuration_and_shuts_down_gracefully() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_offload-api"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("OFFLOAD_")) {
        cmd.env_remove(k);
    }
    let mut child = cmd
        .env("OFFLOAD_ADDR", format!("127.0.0.1:{port}"))
        .current_dir(data_dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    while client
        .get(format!("{base}/v1/health"))
        .send()
        .await
        .is_err()
    {
        assert!(started.elapsed() < ms(20_000), "the server did not come up");
        tokio::time::sleep(ms(50)).await;
    }
    let session: serde_json::Value = client
        .post(format!("{base}/v1/sessions/anonymous"))
        .json(&json!({"install_id": INSTALL, "app_version": "1", "platform": "ios"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["session_token"].as_str().unwrap();
    let r = client
        .post(format!("{base}/v1/ai/braindump/compile"))
        .bearer_auth(token)
        .header("x-offload-cloud-opt-in", "true")
        .json(&json!({"input_text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "provider_unavailable");
    assert!(
        data_dir
            .path()
            .join("offload-data/offload.sqlite3")
            .exists()
    );
    assert!(data_dir.path().join("offload-data/session.secret").exists());
    std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
