//! The deliberate differences from the original (shared/spec/README.md, "Offload API"), one
//! test (at least) each. Several are also covered in depth elsewhere; these pin the promise.

use std::{collections::BTreeMap, sync::Arc};

use axum::{Router, body::Body, http::Request, routing::get};
use serde_json::json;
use tower::ServiceExt;

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";

#[tokio::test]
async fn difference_1_timestamps_are_whole_second_utc_with_z() {
    let app = TestApp::new().await;
    app.clock
        .set(time::macros::datetime!(2026-02-16 12:00:00.999999 UTC));
    let r = app.session_reply(INSTALL).await;
    assert_eq!(r.body["expires_at"], "2026-02-16T12:02:00Z");
}

#[tokio::test]
async fn difference_2_n_concurrent_calls_with_quota_q_yield_exactly_q_successes() {
    let app = Arc::new(
        TestApp::with(|s| offload_api::Settings {
            default_feature_quota: 3,
            ai_inference_limit_per_install: 100,
            ..s
        })
        .await,
    );
    app.provider_replies(openai_reply(&fake::decide().to_string(), 1, 1).set_delay(ms(30)))
        .await;
    let token = app.token().await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                app.ai(
                    "/v1/ai/decide/recommend",
                    &token,
                    &json!({"input_text":"x"}),
                )
                .await
                .status
                .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 3);
    // The rest are refused: 503 `quota_busy` while the three are in flight, 429 after.
    assert_eq!(
        statuses.iter().filter(|s| **s == 429 || **s == 503).count(),
        9
    );
}

#[tokio::test]
async fn difference_3_invalid_provider_output_is_502_and_not_counted() {
    let too_deep = json!({"steps":[{"title":"a","substeps":[{"title":"b","substeps":[{"title":"c","substeps":[{"title":"d","substeps":[]}]}]}]}]});
    let long_title = json!({"steps":[{"title":"t".repeat(281)}]});
    let cases = [
        (
            BREAKDOWN,
            json!({"input_text":"x","granularity":1}),
            too_deep,
            "breakdown",
        ),
        (
            BREAKDOWN,
            json!({"input_text":"x","granularity":1}),
            long_title,
            "breakdown",
        ),
        (
            BREAKDOWN,
            json!({"input_text":"x","granularity":1}),
            json!({"items":[]}),
            "breakdown",
        ),
        (
            "/v1/ai/executive-function/prompt",
            json!({"input_text":"x"}),
            json!({"detected_challenge":"overwhelm","strategies":[]}),
            "execfunction",
        ),
        (
            "/v1/ai/communication/draft",
            json!({"input_text":"x","channel":"text"}),
            json!({"draft_text":""}),
            "draft",
        ),
        (
            "/v1/ai/braindump/compile",
            json!({"input_text":"x"}),
            json!({"items":[{"title":"no type"}]}),
            "braindump",
        ),
    ];
    for (uri, body, answer, feature) in cases {
        let app = TestApp::new().await;
        app.provider_answers(answer, 5, 5).await;
        let token = app.token().await;
        app.ai(uri, &token, &body)
            .await
            .assert_error(502, "provider_invalid_response");
        assert_eq!(app.count(feature).await, 0, "{uri}");
    }
}

#[tokio::test]
async fn difference_4_forwarded_for_is_believed_only_from_trusted_proxies() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        ..s
    })
    .await;
    let spoof = |ip: &str, install: &str| {
        Request::post("/v1/sessions/anonymous")
            .header("content-type", "application/json")
            .header("x-forwarded-for", ip.to_owned())
            .body(Body::from(
                json!({"install_id":install,"app_version":"1","platform":"ios"}).to_string(),
            ))
            .unwrap()
    };
    assert_eq!(app.send(spoof("9.9.9.1", "install-x-1")).await.status, 200);
    app.send(spoof("9.9.9.2", "install-x-2"))
        .await
        .assert_error(429, "session_rate_limited");
}

#[tokio::test]
async fn difference_5_every_429_carries_retry_after() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_install: 1,
        ai_inference_limit_per_install: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::braindump(), 1, 1).await;
    let token = app.token().await;
    let sessions = app.session_reply(INSTALL).await;
    app.ai(
        "/v1/ai/braindump/compile",
        &token,
        &json!({"input_text":"x"}),
    )
    .await;
    let inference = app
        .ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text":"x"}),
        )
        .await;
    let quota_app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 0,
        ..s
    })
    .await;
    let t = quota_app.token().await;
    let quota = quota_app
        .ai("/v1/ai/braindump/compile", &t, &json!({"input_text":"x"}))
        .await;
    for (r, code) in [
        (sessions, "session_rate_limited"),
        (inference, "inference_rate_limited"),
        (quota, "quota_exceeded"),
    ] {
        r.assert_error(429, code);
        let secs: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(secs >= 1);
    }
}

#[tokio::test]
async fn difference_5_a_500_carries_the_request_id_header_and_envelope() {
    let router = offload_api::app::layered(Router::new().route(
        "/boom",
        get(|| async {
            panic!("secret model output that must not be logged");
            #[allow(unreachable_code)]
            ""
        }),
    ));
    let response = router
        .oneshot(
            Request::get("/boom")
                .header("x-request-id", "req-500")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-request-id"], "req-500");
    let body: serde_json::Value = serde_json::from_slice(
        &axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"error":{"code":"internal_error","message":"Internal server error","request_id":"req-500"}})
    );
}

#[tokio::test]
async fn difference_7_windows_and_quotas_are_shared_by_instances_on_one_database() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        default_feature_quota: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let second = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        default_feature_quota: 1,
        ..s
    })
    .await;
    // The second instance runs on the first one's database.
    let other = offload_api::AppState::new(
        (*second.state.config).clone(),
        app.state.db.clone(),
        second.clock.clone(),
    );
    let other = TestApp {
        state: other,
        ..second
    };
    let token = app.token().await;
    other
        .session_reply("install-other-1")
        .await
        .assert_error(429, "session_rate_limited");
    let body = json!({"input_text":"x","granularity":1});
    assert_eq!(app.ai(BREAKDOWN, &token, &body).await.status, 200);
    other
        .ai(BREAKDOWN, &token, &body)
        .await
        .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn difference_8_bodies_over_the_byte_cap_are_413_before_anything_else() {
    let app = TestApp::with(|s| offload_api::Settings {
        max_body_bytes: 2048,
        ..s
    })
    .await;
    let big = json!({"input_text": "x".repeat(3000), "granularity": 1}).to_string();
    // no token at all: the cap comes first
    let r = app
        .post_raw(
            BREAKDOWN,
            &[("content-type", "application/json")],
            big.clone(),
        )
        .await;
    r.assert_error(413, "request_too_large");
    // a streamed body without Content-Length is cut off the same way
    let stream = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(big))]);
    let r = app
        .send(
            Request::post("/v1/sessions/anonymous")
                .body(Body::from_stream(stream))
                .unwrap(),
        )
        .await;
    r.assert_error(413, "request_too_large");
}

#[tokio::test]
async fn difference_8_the_default_cap_admits_any_body_within_the_character_limit() {
    let app = TestApp::new().await;
    app.provider_answers(fake::braindump(), 1, 1).await;
    let token = app.token().await;
    // 1000 astral-plane characters escaped as surrogate pairs: 12 bytes each
    let escaped = format!("{{\"input_text\":\"{}\"}}", "\\ud83d\\ude00".repeat(1000));
    let auth = format!("Bearer {token}");
    let r = app
        .post_raw(
            "/v1/ai/braindump/compile",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
                ("x-offload-cloud-opt-in", "true"),
            ],
            escaped,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn difference_9_tokens_signed_with_an_older_kid_still_verify_after_rotation() {
    let old_key = "the-old-signing-key-0123456789abcd";
    let app = TestApp::with(move |s| offload_api::Settings {
        session_token_active_kid: "new".into(),
        session_signing_keys: BTreeMap::from([
            ("old".to_owned(), old_key.to_owned()),
            (
                "new".to_owned(),
                "the-new-signing-key-0123456789abcd".to_owned(),
            ),
        ]),
        ..s
    })
    .await;
    let now = app.clock_now();
    let old_token = offload_api::auth::token::sign(
        json!({"v":2,"kid":"old","iat":now,"nbf":now,"iss":"offload-backend-test",
               "aud":"offload-ios-test","install_id":INSTALL,"exp":now+60})
        .to_string()
        .as_bytes(),
        old_key.as_bytes(),
    );
    let body = json!({"install_id":INSTALL,"feature":"breakdown","local_count":1});
    assert_eq!(app.reconcile(&old_token, &body).await.status, 200);
    let fresh = app.token().await;
    assert!(
        fresh.starts_with("eyJ2IjoyLCJraWQiOiJuZXci"),
        "signed with kid new"
    );
    assert_eq!(app.reconcile(&fresh, &body).await.status, 200);
}

#[tokio::test]
async fn difference_10_the_quota_period_can_be_monthly() {
    let app = TestApp::with(|s| offload_api::Settings {
        quota_period: "monthly".into(),
        default_feature_quota: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let body = json!({"input_text":"x","granularity":1});
    let token = app.token().await;
    assert_eq!(app.ai(BREAKDOWN, &token, &body).await.status, 200);
    app.ai(BREAKDOWN, &token, &body)
        .await
        .assert_error(429, "quota_exceeded");
    app.clock
        .set(time::macros::datetime!(2026-03-01 00:00:00 UTC));
    let token = app.token().await;
    assert_eq!(app.ai(BREAKDOWN, &token, &body).await.status, 200);
}

#[tokio::test]
async fn difference_11_an_unreachable_database_answers_a_retryable_503_not_a_500() {
    let app = TestApp::new().await;
    let token = app.token().await;
    assert_eq!(app.get("/v1/ready").await.status.as_u16(), 200);
    app.state.db.close().await;

    let session = app.session_reply(INSTALL).await;
    let ai = app
        .ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text": "x"}),
        )
        .await;
    let reconcile = app
        .reconcile(
            &token,
            &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 1}),
        )
        .await;
    for r in [session, ai, reconcile] {
        // A 5xx outside the client's "do not fall back" codes: the app answers on-device.
        r.assert_error(503, "service_unavailable");
        assert_eq!(r.headers["retry-after"], "2");
        let request_id = r.headers["x-request-id"].to_str().unwrap();
        assert_eq!(
            r.body,
            json!({"error": {
                "code": "service_unavailable",
                "message": "Service temporarily unavailable; retry later",
                "request_id": request_id,
            }})
        );
    }
    let ready = app.get("/v1/ready").await;
    assert_eq!(ready.status.as_u16(), 503);
    assert_eq!(ready.body["status"], "unavailable");
}

#[tokio::test]
async fn difference_12_a_burst_past_the_quota_is_told_to_retry_not_that_it_is_used_up() {
    let app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 5,
        ai_inference_limit_per_install: 1000,
        ai_inference_limit_per_ip: 1000,
        ..s
    })
    .await;
    // Slow enough that every call of the burst arrives while the first five are in flight.
    app.provider_replies(openai_reply(&fake::breakdown().to_string(), 1, 1).set_delay(ms(800)))
        .await;
    let token = app.token().await;
    let app = std::sync::Arc::new(app);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            let token = token.clone();
            tokio::spawn(async move {
                app.ai(
                    BREAKDOWN,
                    &token,
                    &json!({"input_text": "x", "granularity": 1}),
                )
                .await
            })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for c in calls {
        let r = c.await.unwrap();
        match r.status.as_u16() {
            200 => ok += 1,
            _ => {
                // A 5xx outside the client's "do not fall back" list: it answers on-device.
                r.assert_error(503, "quota_busy");
                assert_eq!(r.headers["retry-after"], "2");
                busy += 1;
            }
        }
    }
    assert_eq!((ok, busy), (5, 15));
    // Once the five are counted, the quota is used up for real.
    app.ai(
        BREAKDOWN,
        &token,
        &json!({"input_text": "x", "granularity": 1}),
    )
    .await
    .assert_error(429, "quota_exceeded");
    assert_eq!(app.count("breakdown").await, 5);
}
