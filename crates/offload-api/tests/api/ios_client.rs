//! What the real iOS app sends and expects (spec §11): its exact request JSON decodes, every
//! response key it requires is present with the right type, timestamps are whole-second `Z`,
//! errors carry the three envelope keys.

use offload_api::store::usage;
use platform::clock::Clock;
use serde_json::{Value, json};

use crate::support::*;

fn is_whole_second_utc(s: &str) -> bool {
    s.len() == 20
        && s.ends_with('Z')
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

#[tokio::test]
async fn the_apps_session_request_decodes_and_expiry_is_whole_seconds() {
    let app = TestApp::new().await;
    app.clock
        .set(time::macros::datetime!(2026-02-16 02:36:08.450435 UTC));
    let r = app
        .post(
            "/v1/sessions/anonymous",
            &[],
            &json!({"install_id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","app_version":"1.4.2","platform":"ios"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let expires = r.body["expires_at"].as_str().unwrap();
    assert!(is_whole_second_utc(expires), "{expires}");
    assert_eq!(expires, "2026-02-16T02:38:08Z");
}

#[tokio::test]
async fn the_apps_ai_requests_decode_and_responses_have_every_required_key() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let cases: Vec<(&str, Value, Value, Vec<&str>)> = vec![
        (
            "/v1/ai/breakdown/generate",
            json!({"input_text":"Clean garage","granularity":2,"context_hints":[],"template_ids":[]}),
            fake::breakdown(),
            vec!["steps"],
        ),
        (
            "/v1/ai/braindump/compile",
            json!({"input_text":"milk. call mom","context_hints":[]}),
            fake::braindump(),
            vec!["items"],
        ),
        (
            "/v1/ai/decide/recommend",
            json!({"input_text":"Gym or rest?","context_hints":[],"clarifying_answers":[{"question":"Tired?","answer":"Yes"}]}),
            fake::decide(),
            vec!["options", "clarifying_questions"],
        ),
        (
            "/v1/ai/executive-function/prompt",
            json!({"input_text":"Stuck","context_hints":[],"strategy_history":[{"challenge_type":"overwhelm","strategy_id":"brain_dump","thumbs_up":false,"led_to_completion":false}]}),
            fake::execfunction(),
            vec!["detected_challenge", "strategies", "encouragement"],
        ),
        (
            "/v1/ai/communication/draft",
            json!({"input_text":"Reschedule","channel":"call","context_hints":[]}),
            fake::draft(),
            vec!["draft_text", "tone"],
        ),
    ];
    for (uri, body, answer, keys) in cases {
        app.openai.reset().await;
        app.provider_answers(answer, 3, 4).await;
        let r = app.ai(uri, &token, &body).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
        for k in keys.iter().chain(&["provider", "latency_ms", "usage"]) {
            assert!(r.body.get(k).is_some(), "{uri} lacks {k}");
        }
        assert!(r.body["latency_ms"].is_u64());
        assert!(r.body["usage"]["input_tokens"].is_u64());
        assert!(r.body["usage"]["output_tokens"].is_u64());
    }
}

#[tokio::test]
async fn nested_keys_the_decoder_requires_are_always_emitted() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.provider_answers(json!({"steps":[{"title":"Only a title"}]}), 1, 1)
        .await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    assert_eq!(r.body["steps"][0]["substeps"], json!([]));
    app.openai.reset().await;
    app.provider_answers(json!({"options":[{"title":"A","description":"a"}]}), 1, 1)
        .await;
    let r = app
        .ai(
            "/v1/ai/decide/recommend",
            &token,
            &json!({"input_text":"x"}),
        )
        .await;
    assert_eq!(r.body["options"][0]["is_recommended"], false);
    assert_eq!(r.body["clarifying_questions"], json!([]));
}

#[tokio::test]
async fn the_apps_reconcile_request_decodes() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let r = app
        .reconcile(
            &token,
            &json!({"install_id":INSTALL,"feature":"braindump","local_count":3}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(is_whole_second_utc(
        r.body["reconciled_at"].as_str().unwrap()
    ));
    assert!(r.body["server_count"].is_i64() && r.body["effective_remaining"].is_i64());
}

#[tokio::test]
async fn every_error_envelope_has_code_message_and_request_id_strings() {
    let app = TestApp::new().await;
    let replies = [
        app.post("/v1/usage/reconcile", &[], &json!({})).await,
        app.post_raw("/v1/sessions/anonymous", &[], "{").await,
        app.post(
            "/v1/ai/breakdown/generate",
            &[("authorization", "Bearer x.y")],
            &json!({}),
        )
        .await,
    ];
    for r in replies {
        let e = &r.body["error"];
        for k in ["code", "message", "request_id"] {
            assert!(e[k].is_string(), "{k} in {}", r.text);
        }
        assert!(!e["request_id"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn provider_problems_are_5xx_so_the_app_falls_back_on_device() {
    let app = TestApp::with(|s| offload_api::Settings {
        openai_api_key: None,
        openai_base_url: None,
        ..s
    })
    .await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    assert!(r.status.is_server_error());
}

/// The client's rule (spec §11.5): fall back on-device for a 5xx, unless its code is one the app
/// treats as a hard stop; never for a 429.
fn app_falls_back(status: u16, code: &str) -> bool {
    status >= 500
        && !matches!(
            code,
            "quota_exceeded" | "feature_disabled" | "safety_blocked" | "consent_required"
        )
}

#[tokio::test]
async fn a_quota_held_by_calls_in_flight_and_a_lost_database_fall_back_but_a_used_quota_stops() {
    let app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 1,
        ..s
    })
    .await;
    app.provider_replies(
        openai_reply(&fake::breakdown().to_string(), 1, 1)
            .set_delay(std::time::Duration::from_millis(500)),
    )
    .await;
    let token = app.token().await;
    let body = json!({"input_text":"x","granularity":1});
    let app = std::sync::Arc::new(app);
    let first = {
        let (app, token, body) = (app.clone(), token.clone(), body.clone());
        tokio::spawn(async move { app.ai("/v1/ai/breakdown/generate", &token, &body).await })
    };
    // Once the first call holds the only unit (it is then waiting for the provider):
    let install = offload_api::model::ids::InstallId::parse(INSTALL).unwrap();
    let now = app.clock.now();
    let period = usage::Period::at(app.state.config.quota_period, now);
    let mut held = 0;
    for _ in 0..200 {
        held = usage::pool(&app.state.db, &install, &period, now.into())
            .await
            .unwrap()
            .held;
        if held == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(held, 1, "the first call holds the unit");
    let busy = app.ai("/v1/ai/breakdown/generate", &token, &body).await;
    assert!(
        app_falls_back(busy.status.as_u16(), busy.code()),
        "{}",
        busy.text
    );
    assert_eq!(first.await.unwrap().status, 200);
    let used = app.ai("/v1/ai/breakdown/generate", &token, &body).await;
    assert!(
        !app_falls_back(used.status.as_u16(), used.code()),
        "{}",
        used.text
    );
    app.state.db.close().await;
    let down = app.ai("/v1/ai/breakdown/generate", &token, &body).await;
    assert!(
        app_falls_back(down.status.as_u16(), down.code()),
        "{}",
        down.text
    );
}
