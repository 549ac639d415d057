//! The order of checks on the AI routes (spec §1.5), on reconcile, sessions and Apple auth.

use serde_json::json;

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";

#[tokio::test]
async fn malformed_json_is_refused_before_authentication() {
    let app = TestApp::new().await;
    for uri in [BREAKDOWN, "/v1/usage/reconcile", "/v1/sessions/anonymous"] {
        app.post_raw(uri, &[("content-type", "application/json")], "{not json")
            .await
            .assert_error(422, "validation_error");
        app.post_raw(uri, &[], "{not json")
            .await
            .assert_error(422, "validation_error");
    }
}

#[tokio::test]
async fn an_empty_body_reaches_authentication_first() {
    let app = TestApp::new().await;
    app.post_raw(BREAKDOWN, &[], "")
        .await
        .assert_error(401, "unauthorized");
    let token = app.token().await;
    let auth = format!("Bearer {token}");
    app.post_raw(BREAKDOWN, &[("authorization", &auth)], "")
        .await
        .assert_error(403, "consent_required");
    app.post_raw(
        BREAKDOWN,
        &[("authorization", &auth), ("x-offload-cloud-opt-in", "true")],
        "",
    )
    .await
    .assert_error(422, "validation_error");
}

#[tokio::test]
async fn a_non_json_content_type_is_a_validation_error_after_the_gates() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let auth = format!("Bearer {token}");
    let body = json!({"input_text":"x","granularity":1}).to_string();
    app.post_raw(BREAKDOWN, &[("content-type", "text/plain")], body.clone())
        .await
        .assert_error(401, "unauthorized");
    app.post_raw(
        BREAKDOWN,
        &[
            ("content-type", "text/plain"),
            ("authorization", &auth),
            ("x-offload-cloud-opt-in", "true"),
        ],
        body,
    )
    .await
    .assert_error(422, "validation_error");
}

#[tokio::test]
async fn consent_is_checked_after_auth_and_before_quota_and_schema() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.preload("breakdown", 10).await;
    let auth = format!("Bearer {token}");
    // invalid body, no opt-in, quota exhausted → 403 first
    app.post(
        BREAKDOWN,
        &[("authorization", &auth)],
        &json!({"granularity": 9}),
    )
    .await
    .assert_error(403, "consent_required");
    // with opt-in → quota before schema
    app.ai(BREAKDOWN, &token, &json!({"granularity": 9}))
        .await
        .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn consent_values_other_than_true_are_refused_without_provider_contact() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    let auth = format!("Bearer {token}");
    let body = json!({"input_text":"x","granularity":1});
    for v in ["1", "yes", "on", "false"] {
        app.post(
            BREAKDOWN,
            &[("authorization", &auth), ("x-offload-cloud-opt-in", v)],
            &body,
        )
        .await
        .assert_error(403, "consent_required");
    }
    for v in ["TRUE", "True", "true"] {
        let r = app
            .post(
                BREAKDOWN,
                &[("authorization", &auth), ("x-offload-cloud-opt-in", v)],
                &body,
            )
            .await;
        assert_eq!(r.status, 200, "{v}: {}", r.text);
    }
    assert_eq!(app.provider_calls().await, 3);
    assert_eq!(app.count("breakdown").await, 3);
}

#[tokio::test]
async fn the_rate_limiter_runs_before_the_size_check_and_consumes_a_slot() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_install: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    let big = json!({"input_text": "x".repeat(1001), "granularity": 1});
    app.ai(BREAKDOWN, &token, &big)
        .await
        .assert_error(413, "request_too_large");
    let r = app
        .ai(
            BREAKDOWN,
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    r.assert_error(429, "inference_rate_limited");
    assert_eq!(app.provider_calls().await, 0);
}

#[tokio::test]
async fn schema_errors_come_before_the_rate_limiter() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_install: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    app.ai(
        BREAKDOWN,
        &token,
        &json!({"input_text":"x","granularity":7}),
    )
    .await
    .assert_error(422, "validation_error");
    let r = app
        .ai(
            BREAKDOWN,
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    assert_eq!(r.status, 200, "a 422 does not use a rate-limit slot");
}

#[tokio::test]
async fn reconcile_checks_auth_then_schema_then_install_id() {
    let app = TestApp::new().await;
    app.post("/v1/usage/reconcile", &[], &json!({"feature": 1}))
        .await
        .assert_error(401, "unauthorized");
    let token = app.token().await;
    app.reconcile(
        &token,
        &json!({"install_id":"other-install-1","feature":""}),
    )
    .await
    .assert_error(422, "validation_error");
    app.reconcile(
        &token,
        &json!({"install_id":"other-install-1","feature":"breakdown","local_count":1}),
    )
    .await
    .assert_error(403, "install_id_mismatch");
}

#[tokio::test]
async fn sessions_validate_before_rate_limiting() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        ..s
    })
    .await;
    assert_eq!(app.session_reply("install-aaaa").await.status, 200);
    app.post("/v1/sessions/anonymous", &[], &json!({"install_id":"x"}))
        .await
        .assert_error(422, "validation_error");
    app.session_reply("install-bbbb")
        .await
        .assert_error(429, "session_rate_limited");
}
