//! Each AI route: success shape, consent, auth, limits, provider failures (spec §2.4, §10).

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::support::*;

#[tokio::test]
async fn breakdown_succeeds_with_hints_and_templates() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 10, 20).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"Plan a trip","granularity":3,"context_hints":["weekend"],"template_ids":["t1"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["provider"], "openai");
    assert_eq!(
        r.body["usage"],
        json!({"input_tokens":10,"output_tokens":20})
    );
    assert_eq!(r.body["steps"][0]["title"], "Step 1");
    assert_eq!(r.body["steps"][0]["substeps"][0]["substeps"], json!([]));
    assert!(r.body["latency_ms"].as_u64().is_some());
    assert_eq!(app.count("breakdown").await, 1);
}

#[tokio::test]
async fn the_provider_receives_the_inputs_as_a_json_string_in_json_mode() {
    let app = TestApp::new().await;
    app.provider_answers(fake::draft(), 1, 1).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/communication/draft",
            &token,
            &json!({"input_text":"Ask about the invoice","channel":"email","context_hints":[]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sent = &app.openai.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers["authorization"], "Bearer sk-test");
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["response_format"], json!({"type":"json_object"}));
    assert!(
        body.get("max_tokens").is_none(),
        "OpenAI calls send no max_tokens"
    );
    let user: Value =
        serde_json::from_str(body["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        user,
        json!({"input_text":"Ask about the invoice","channel":"email","contact_name":null,"context_hints":[]})
    );
}

#[tokio::test]
async fn every_route_answers_its_shape_with_usage_and_counts_its_feature() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let tokens = [(10, 20), (15, 25), (20, 40), (25, 45), (30, 50)];
    let features = ["breakdown", "braindump", "decide", "execfunction", "draft"];
    for (i, (uri, body, answer)) in routes().into_iter().enumerate() {
        app.openai.reset().await;
        app.provider_answers(answer, tokens[i].0, tokens[i].1).await;
        let r = app.ai(uri, &token, &body).await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
        assert_eq!(r.body["usage"]["input_tokens"], tokens[i].0);
        assert_eq!(r.body["usage"]["output_tokens"], tokens[i].1);
        assert_eq!(app.count(features[i]).await, 1, "{uri}");
    }
}

#[tokio::test]
async fn braindump_decide_execfunction_and_draft_answer_the_reference_payloads() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let mut replies = Vec::new();
    for (uri, body, answer) in routes().into_iter().skip(1) {
        app.openai.reset().await;
        app.provider_answers(answer, 1, 1).await;
        replies.push(app.ai(uri, &token, &body).await.body);
    }
    assert_eq!(
        replies[0]["items"][0],
        json!({"title":"Call dentist","type":"task"})
    );
    assert_eq!(replies[0]["items"][1]["type"], "idea");
    assert_eq!(replies[1]["options"][0]["is_recommended"], true);
    assert_eq!(
        replies[1]["clarifying_questions"],
        json!(["What is your timeline?"])
    );
    assert_eq!(replies[2]["detected_challenge"], "task_initiation");
    assert_eq!(
        replies[2]["strategies"][0]["strategy_id"],
        "two_minute_rule"
    );
    assert_eq!(replies[2]["encouragement"], "You've got this.");
    assert_eq!(
        replies[3]["draft_text"],
        "Hi! I wanted to reach out about this."
    );
    assert_eq!(replies[3]["tone"], "friendly");
}

#[tokio::test]
async fn every_route_requires_auth_and_consent_and_refuses_oversized_content() {
    let app = TestApp::new().await;
    app.provider_answers(json!({}), 1, 1).await;
    let token = app.token().await;
    let auth = format!("Bearer {token}");
    for (uri, mut body, _) in routes() {
        app.post(uri, &[("x-offload-cloud-opt-in", "true")], &body)
            .await
            .assert_error(401, "unauthorized");
        let expired = format!("Bearer {}", app.expired_token());
        app.post(
            uri,
            &[
                ("authorization", &expired),
                ("x-offload-cloud-opt-in", "true"),
            ],
            &body,
        )
        .await
        .assert_error(401, "expired_token");
        app.post(uri, &[("authorization", &auth)], &body)
            .await
            .assert_error(403, "consent_required");
        body["input_text"] = json!("x".repeat(1001));
        app.ai(uri, &token, &body)
            .await
            .assert_error(413, "request_too_large");
        body["input_text"] = json!("");
        app.ai(uri, &token, &body)
            .await
            .assert_error(422, "validation_error");
        body["input_text"] = json!("ok");
        body["unexpected"] = json!(1);
        app.ai(uri, &token, &body)
            .await
            .assert_error(422, "validation_error");
    }
    assert_eq!(app.provider_calls().await, 0);
}

#[tokio::test]
async fn too_large_message_names_the_limit() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text":"x".repeat(1001)}),
        )
        .await;
    assert_eq!(
        r.body["error"]["message"],
        "Request content exceeds max size of 1000 characters"
    );
}

#[tokio::test]
async fn breakdown_list_limits_are_enforced() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    let uri = "/v1/ai/breakdown/generate";
    let ones = |n: usize| json!(vec!["a"; n]);
    let ok = app
        .ai(uri, &token, &json!({"input_text":"x","granularity":1,"context_hints":ones(32),"template_ids":ones(32)}))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    for body in [
        json!({"input_text":"x","granularity":1,"context_hints":ones(33)}),
        json!({"input_text":"x","granularity":1,"context_hints":["h".repeat(281)]}),
        json!({"input_text":"x","granularity":1,"template_ids":["t".repeat(129)]}),
        json!({"input_text":"x","granularity":7}),
        json!({"input_text":"x","granularity":0}),
        json!({"input_text":"x","granularity":3.5}),
        json!({"input_text":"x"}),
        json!({"input_text":"x","granularity":1,"context_hints":null}),
        json!({"input_text":5,"granularity":1}),
    ] {
        app.ai(uri, &token, &body)
            .await
            .assert_error(422, "validation_error");
    }
}

#[tokio::test]
async fn granularity_accepts_the_originals_lax_integers() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    for g in [json!("3"), json!(3.0), json!(true)] {
        let r = app
            .ai(
                "/v1/ai/breakdown/generate",
                &token,
                &json!({"input_text":"x","granularity":g}),
            )
            .await;
        assert_eq!(r.status, 200, "{g}: {}", r.text);
    }
}

#[tokio::test]
async fn content_size_sums_every_counted_field_in_code_points() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    // 1 + 3×280 + 2×128 = 1097 > 1000
    let body = json!({"input_text":"x","granularity":1,
        "context_hints":["h".repeat(280),"h".repeat(280),"h".repeat(280)],
        "template_ids":["t".repeat(128),"t".repeat(128)]});
    app.ai("/v1/ai/breakdown/generate", &token, &body)
        .await
        .assert_error(413, "request_too_large");
    // exactly the limit passes; emoji count as one each
    let body = json!({"input_text":"😀".repeat(1000)});
    let r = app.ai("/v1/ai/braindump/compile", &token, &body).await;
    assert_ne!(r.status, 413, "{}", r.text);
    let body = json!({"input_text":"😀".repeat(1001)});
    app.ai("/v1/ai/braindump/compile", &token, &body)
        .await
        .assert_error(413, "request_too_large");
}

#[tokio::test]
async fn decide_and_execfunction_list_limits() {
    let app = TestApp::new().await;
    app.provider_answers(fake::decide(), 1, 1).await;
    let token = app.token().await;
    let answer = json!({"question":"When?","answer":"Soon","extra":"ignored"});
    let r = app
        .ai(
            "/v1/ai/decide/recommend",
            &token,
            &json!({"input_text":"x","clarifying_answers":[answer]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let five = vec![json!({"question":"q","answer":"a"}); 5];
    app.ai(
        "/v1/ai/decide/recommend",
        &token,
        &json!({"input_text":"x","clarifying_answers":five}),
    )
    .await
    .assert_error(422, "validation_error");
    app.openai.reset().await;
    app.provider_answers(fake::execfunction(), 1, 1).await;
    let record = json!({"challenge_type":"task_initiation","strategy_id":"two_minute_rule","thumbs_up":true,"led_to_completion":false});
    let r = app
        .ai(
            "/v1/ai/executive-function/prompt",
            &token,
            &json!({"input_text":"x","strategy_history":[record.clone()]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sixty = vec![record; 60];
    app.ai(
        "/v1/ai/executive-function/prompt",
        &token,
        &json!({"input_text":"x","strategy_history":sixty}),
    )
    .await
    .assert_error(422, "validation_error");
}

#[tokio::test]
async fn draft_works_without_a_contact_name() {
    let app = TestApp::new().await;
    app.provider_answers(fake::draft(), 30, 50).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/communication/draft",
            &token,
            &json!({"input_text":"x","channel":"text"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["usage"],
        json!({"input_tokens":30,"output_tokens":50})
    );
    app.ai(
        "/v1/ai/communication/draft",
        &token,
        &json!({"input_text":"x","channel":"x".repeat(17)}),
    )
    .await
    .assert_error(422, "validation_error");
}

#[tokio::test]
async fn provider_failures_map_to_gateway_errors_on_every_route() {
    for (template, status, code) in [
        (ResponseTemplate::new(400), 502, "provider_request_failed"),
        (ResponseTemplate::new(500), 502, "provider_request_failed"),
        (
            openai_reply("{}", 1, 1).set_delay(ms(3000)),
            504,
            "provider_timeout",
        ),
        (
            openai_reply("not json at all", 1, 1),
            502,
            "provider_invalid_response",
        ),
    ] {
        let app = TestApp::with(|s| offload_api::Settings {
            openai_timeout_seconds: 0.3,
            ..s
        })
        .await;
        app.provider_replies(template).await;
        let token = app.token().await;
        for (uri, body, _) in routes() {
            app.ai(uri, &token, &body).await.assert_error(status, code);
        }
        for f in ["breakdown", "braindump", "decide", "execfunction", "draft"] {
            assert_eq!(app.count(f).await, 0, "{code}: nothing is counted");
        }
    }
}
