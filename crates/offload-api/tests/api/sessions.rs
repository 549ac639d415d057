//! Anonymous sessions and session-token verification through HTTP (spec §2.2, §3, §10).

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn issuing_a_session_returns_a_token_and_whole_second_expiry() {
    let app = TestApp::new().await;
    let r = app.session_reply(INSTALL).await;
    assert_eq!(r.status, 200);
    assert!(!r.body["session_token"].as_str().unwrap().is_empty());
    assert_eq!(r.body["expires_at"], "2026-02-16T12:02:00Z");
}

#[tokio::test]
async fn issued_tokens_carry_all_eight_v2_claims_from_config() {
    use base64::Engine;
    let app = TestApp::new().await;
    let token = app.token().await;
    let payload = token.split('.').next().unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let now = app.clock_now();
    assert_eq!(
        claims,
        json!({"v":2,"kid":"test-kid","iat":now,"nbf":now,"iss":"offload-backend-test",
               "aud":"offload-ios-test","install_id":INSTALL,"exp":now+120})
    );
}

#[tokio::test]
async fn session_bodies_are_validated() {
    let app = TestApp::new().await;
    for body in [
        json!({"install_id":"short","app_version":"1.0","platform":"ios"}),
        json!({"install_id":"x".repeat(129),"app_version":"1.0","platform":"ios"}),
        json!({"install_id":INSTALL,"app_version":"","platform":"ios"}),
        json!({"install_id":INSTALL,"app_version":"1.0","platform":"x".repeat(33)}),
        json!({"install_id":INSTALL,"app_version":"1.0"}),
        json!([]),
    ] {
        app.post("/v1/sessions/anonymous", &[], &body)
            .await
            .assert_error(422, "validation_error");
    }
    let r = app
        .post(
            "/v1/sessions/anonymous",
            &[],
            &json!({"install_id":INSTALL,"app_version":"1.0","platform":"ios","extra":1}),
        )
        .await;
    assert_eq!(r.status, 200, "unknown keys are ignored on sessions");
}

#[tokio::test]
async fn tokens_expire_with_the_clock() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.clock.advance(time::Duration::seconds(119));
    let body = json!({"install_id":INSTALL,"feature":"breakdown","local_count":1});
    assert_eq!(app.reconcile(&token, &body).await.status, 200);
    app.clock.advance(time::Duration::seconds(1));
    app.reconcile(&token, &body)
        .await
        .assert_error(401, "expired_token");
}

#[tokio::test]
async fn protected_routes_distinguish_missing_garbage_and_expired_tokens() {
    let app = TestApp::new().await;
    let reconcile = json!({"install_id":INSTALL,"feature":"breakdown","local_count":1});
    let breakdown = json!({"input_text":"x","granularity":1});
    for (uri, body) in [
        ("/v1/usage/reconcile", &reconcile),
        ("/v1/ai/breakdown/generate", &breakdown),
    ] {
        app.post(uri, &[("x-offload-cloud-opt-in", "true")], body)
            .await
            .assert_error(401, "unauthorized");
        app.post(uri, &[("authorization", "Basic abc")], body)
            .await
            .assert_error(401, "unauthorized");
        app.post(uri, &[("authorization", "Bearer invalid-token")], body)
            .await
            .assert_error(401, "invalid_token");
        let expired = format!("Bearer {}", app.expired_token());
        app.post(uri, &[("authorization", &expired)], body)
            .await
            .assert_error(401, "expired_token");
    }
}

#[tokio::test]
async fn malformed_tokens_are_invalid_over_http() {
    let app = TestApp::new().await;
    let body = json!({"install_id":INSTALL,"feature":"breakdown","local_count":1});
    let signed_garbage = offload_api::auth::token::sign_segment("%%%", TEST_SECRET.as_bytes());
    for t in [
        "invalid-token",
        "payload.signature.extra",
        ".",
        "payload.",
        ".signature",
        "payload.!@#$",
        signed_garbage.as_str(),
    ] {
        app.reconcile(t, &body)
            .await
            .assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn wrong_issuer_audience_or_kid_is_invalid_even_when_expired() {
    let app = TestApp::new().await;
    let body = json!({"install_id":INSTALL,"feature":"breakdown","local_count":1});
    let t0 = 1_771_243_200; // 2026-02-16T12:00:00Z, 300 s lifetime, long gone
    let later = app.clock_now() + 10_000;
    app.clock
        .set(time::OffsetDateTime::from_unix_timestamp(later).unwrap());
    for (iss, aud, kid) in [
        ("wrong", "offload-ios-test", "test-kid"),
        ("offload-backend-test", "wrong", "test-kid"),
        ("offload-backend-test", "offload-ios-test", "unknown-kid"),
    ] {
        let t = forge(
            json!({"v":2,"kid":kid,"iat":t0,"nbf":t0,"iss":iss,"aud":aud,
            "install_id":INSTALL,"exp":t0+300}),
        );
        app.reconcile(&t, &body)
            .await
            .assert_error(401, "invalid_token");
    }
    let legacy = forge(json!({"install_id":INSTALL,"exp":later+300}));
    app.reconcile(&legacy, &body)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn a_valid_token_lets_reconcile_store_the_count() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let r = app
        .reconcile(
            &token,
            &json!({"install_id":INSTALL,"feature":"breakdown","local_count":3}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["server_count"], 3);
}
