//! Health routes, request ids, error fallbacks, metrics, OpenAPI, limits, CORS, CSRF, logs.

use axum::{Router, http::StatusCode, routing::get};
use platform::telemetry::{CapturedLogs, LogFormat};
use serde_json::json;
use tower::ServiceExt;

use crate::helpers::TestApp;

#[tokio::test]
async fn root_health_and_ready_answer_the_originals_shapes() {
    let app = TestApp::new().await;
    assert_eq!(
        app.get("/").send().await.json(),
        json!({"status": "ok", "message": "MealFrame API"})
    );
    assert_eq!(
        app.get("/health").send().await.json(),
        json!({"status": "healthy", "version": "0.1.0", "service": "mealframe-api"})
    );
    let ready = app.get("/ready").send().await;
    ready.assert(StatusCode::OK);
    assert_eq!(ready.json()["status"], "ready");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;
    let r = app.get("/health").send().await;
    assert_eq!(r.header("x-request-id").unwrap().len(), 36);
    let r = app
        .get("/nope")
        .header("x-request-id", "client-chosen-42")
        .send()
        .await;
    assert_eq!(r.header("x-request-id"), Some("client-chosen-42"));
    let r = app
        .get("/health")
        .header("x-request-id", &"x".repeat(300))
        .send()
        .await;
    assert_eq!(
        r.header("x-request-id").unwrap().len(),
        36,
        "an unreasonable id is replaced"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/nothing-here").send().await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), json!({"detail": "Not Found"}));
    let r = app.get("/api/v1/auth/login").send().await;
    r.assert(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json(), json!({"detail": "Method Not Allowed"}));
}

#[tokio::test]
async fn a_panicking_handler_answers_a_json_500_with_a_request_id() {
    let app = TestApp::new().await;
    let routes: Router<mealframe_server::state::AppState> = Router::new().route(
        "/boom",
        get(|| async {
            if true {
                panic!("boom");
            }
            "unreachable"
        }),
    );
    let router = mealframe_server::router::with_layers(routes, app.state.clone());
    let req = axum::http::Request::get("/boom")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(resp.headers().contains_key("x-request-id"));
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        json!({"detail": "Internal Server Error"})
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = TestApp::new().await;
    app.get("/health").send().await;
    app.get("/api/v1/auth/me").send().await;
    let text = app.get("/metrics").send().await.text();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/auth/me",status="401""#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = TestApp::builder()
        .with(|s| s.metrics_token = Some("scrape-me".into()))
        .build()
        .await;
    app.get("/metrics")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    app.get("/metrics")
        .bearer("nope")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    app.get("/metrics")
        .bearer("scrape-me")
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = TestApp::new().await;
    let doc = app.get("/openapi.json").send().await;
    doc.assert(StatusCode::OK);
    let doc = doc.json();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/me",
        "/api/v1/auth/google/callback",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["paths"]["/api/v1/auth/me"].get("patch").is_some());
    assert!(doc["paths"]["/api/v1/auth/me"].get("delete").is_some());
    let ui = app.get("/docs/").send().await;
    ui.assert(StatusCode::OK);
    assert!(ui.text().contains("swagger"), "{}", ui.text());
}

#[tokio::test]
async fn the_openapi_document_is_pinned() {
    let doc = serde_json::to_value(mealframe_server::api::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn oversized_bodies_get_a_json_413() {
    let app = TestApp::builder()
        .with(|s| s.max_body_bytes = 2048)
        .build()
        .await;
    let big = format!(r#"{{"email":"a@b.io","password":"{}"}}"#, "x".repeat(5000));
    let r = app
        .post("/api/v1/auth/register")
        .raw(Some("application/json"), big)
        .send()
        .await;
    r.assert(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json(), json!({"detail": "Request body too large"}));
}

#[tokio::test]
async fn cors_allows_configured_origins_with_credentials_only() {
    let app = TestApp::builder()
        .with(|s| s.cors_origins = "https://app.example.org, http://localhost:3000".into())
        .build()
        .await;
    let r = app
        .request(axum::http::Method::OPTIONS, "/api/v1/auth/login")
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    let r = app
        .request(axum::http::Method::OPTIONS, "/api/v1/auth/login")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn cookie_sessions_refuse_cross_site_writes_but_allow_reads() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let me = app
        .get("/api/v1/auth/me")
        .bearer(&token)
        .send()
        .await
        .json();
    let id = me["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    let raw =
        mealframe_server::accounts::start_web_session(&app.state, &mut tx, id, app.state.now())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    app.clear_cookies();
    app.set_cookie("mf_session", &raw, "/");

    app.get("/api/v1/auth/me")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .assert(StatusCode::OK);
    let r = app
        .patch("/api/v1/auth/me")
        .header("sec-fetch-site", "cross-site")
        .json(json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(r.json(), json!({"detail": "Cross-site request refused"}));
    app.patch("/api/v1/auth/me")
        .header("origin", "https://evil.example")
        .json(json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await
        .assert(StatusCode::FORBIDDEN);
    let r = app
        .patch("/api/v1/auth/me")
        .header("sec-fetch-site", "same-origin")
        .json(json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["timezone"], "Asia/Tokyo");
    // Logout ends the cookie session.
    app.post("/api/v1/auth/logout")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    app.set_cookie("mf_session", &raw, "/");
    app.get("/api/v1/auth/me")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logs_never_contain_passwords_tokens_or_cookies() {
    let logs = CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(platform::telemetry::subscriber(
        LogFormat::Json,
        "trace",
        logs.clone(),
    ));
    let app = TestApp::builder().outbox().build().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    let verification = app.last_mail_token().await;
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": verification }))
        .send()
        .await;
    let access = app.login("ana@example.com", "correct horse").await;
    let refresh = app.cookie("refresh_token").unwrap();
    app.post("/api/v1/auth/refresh").send().await;
    app.get("/api/v1/auth/me").bearer(&access).send().await;
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    let reset = app.last_mail_token().await;
    app.post("/api/v1/auth/reset-password")
        .json(json!({"token": reset, "password": "battery staple"}))
        .send()
        .await;
    app.post("/api/v1/auth/login")
        .json(json!({"email": "ana@example.com", "password": "wrong guess 123"}))
        .send()
        .await;

    let text = logs.contents();
    assert!(
        text.contains("request complete"),
        "the access log was captured"
    );
    for secret in [
        "correct horse",
        "battery staple",
        "wrong guess 123",
        &verification,
        &reset,
        &access,
        &refresh,
    ] {
        assert!(
            !text.contains(secret),
            "a secret leaked into the logs: {secret}"
        );
    }
}

#[test]
fn serve_help_lists_the_flags_and_the_settings_that_matter() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mealframe"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--addr <HOST:PORT>",
        "--data-dir <DIR>",
        "MEALFRAME_DATABASE_URL",
        "MEALFRAME_PUBLIC_URL",
        "deploy/Caddyfile",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn serve_flags_choose_the_address_and_data_directory_and_the_start_says_so() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("meals");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mealframe"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("MEALFRAME_DATABASE_URL")
        .env_remove("MEALFRAME_ADDR")
        .env_remove("MEALFRAME_DATA_DIR")
        .env("MEALFRAME_LOG_LEVEL", "info")
        .env("MEALFRAME_LOG_FORMAT", "pretty")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Vec<String> = (0..3).map_while(|_| lines.next()?.ok()).collect();
    let _ = child.kill();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let _ = child.wait();
    assert!(
        first[0].starts_with("MealFrame is running at http://127.0.0.1:"),
        "{first:?}"
    );
    assert!(first[1].contains(&data.display().to_string()), "{first:?}");
    assert!(first[2].contains("--addr 0.0.0.0:"), "{first:?}");
    assert!(data.join("mealframe.sqlite3").exists());
    assert!(stderr.contains("MealFrame is listening"), "{stderr:?}");
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes into a pipe: {stderr:?}"
    );
}

#[tokio::test]
async fn the_usage_command_prints_each_accounts_month_costliest_first() {
    use mealframe_store::{accounts::users, ai_usage};
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mealframe"))
            .args(args)
            .env_remove("MEALFRAME_DATABASE_URL")
            .env("MEALFRAME_DATA_DIR", dir.path())
            .env("MEALFRAME_LOG_LEVEL", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&[
        "user",
        "create",
        "--email",
        "ana@example.com",
        "--password",
        "correct horse",
    ]);
    run(&[
        "user",
        "create",
        "--email",
        "bob@example.com",
        "--password",
        "correct horse",
    ]);
    let url = format!(
        "sqlite://{}",
        dir.path().join("mealframe.sqlite3").display()
    );
    let db = dbkit::Db::open(&url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let ana = users::by_email_key(&mut tx.conn(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    let bob = users::by_email_key(&mut tx.conn(), "bob@example.com")
        .await
        .unwrap()
        .unwrap();
    let call = |cost| ai_usage::Usage {
        model: "gpt-4o",
        tokens_prompt: 1000,
        tokens_completion: 200,
        cost_micro_usd: Some(cost),
    };
    let nov = dbkit::Timestamp::from(time::macros::datetime!(2026-11-18 12:00 UTC));
    let dec = dbkit::Timestamp::from(time::macros::datetime!(2026-12-01 00:00 UTC));
    ai_usage::record(&mut tx.conn(), ana.id, &call(8000), nov)
        .await
        .unwrap();
    ai_usage::record(&mut tx.conn(), bob.id, &call(8000), nov)
        .await
        .unwrap();
    ai_usage::record(&mut tx.conn(), bob.id, &call(8000), nov)
        .await
        .unwrap();
    ai_usage::record(&mut tx.conn(), ana.id, &call(99_000), dec)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close().await;

    let text = run(&["usage", "--month", "2026-11"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "AI use in 2026-11 (UTC), costliest first");
    assert!(
        lines[2].starts_with("bob@example.com")
            && lines[2].contains("     2  ")
            && lines[2].ends_with("0.0160"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("ana@example.com") && lines[3].ends_with("0.0080"),
        "{text}"
    );
    assert_eq!(
        lines[4],
        "2 account(s), 3 call(s), 0.0240 USD estimated (calls of models without a known price count 0)"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mealframe"))
        .args(["usage", "--month", "2026-13"])
        .env("MEALFRAME_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected YYYY-MM"));
}
