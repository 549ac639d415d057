//! Provider behaviour seen through the gateway: retries, status mapping per provider, missing
//! configuration (spec §7, §10).

use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::support::*;

#[tokio::test]
async fn a_429_then_success_is_retried_and_counted_once() {
    let app = TestApp::new().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.openai)
        .await;
    app.provider_answers(fake::breakdown(), 10, 20).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.provider_calls().await, 2);
    assert_eq!(app.count("breakdown").await, 1);
}

#[tokio::test]
async fn persistent_openai_5xx_is_provider_request_failed_after_three_attempts() {
    let app = TestApp::new().await;
    app.provider_replies(ResponseTemplate::new(503)).await;
    let token = app.token().await;
    app.ai(
        "/v1/ai/braindump/compile",
        &token,
        &json!({"input_text":"x"}),
    )
    .await
    .assert_error(502, "provider_request_failed");
    assert_eq!(app.provider_calls().await, 3);
}

#[tokio::test]
async fn a_timeout_is_504_and_nothing_is_counted() {
    let app = TestApp::with(|s| offload_api::Settings {
        openai_timeout_seconds: 0.1,
        ai_retry_max_attempts: 2,
        ..s
    })
    .await;
    app.provider_replies(openai_reply("{}", 1, 1).set_delay(ms(1000)))
        .await;
    let token = app.token().await;
    app.ai(
        "/v1/ai/breakdown/generate",
        &token,
        &json!({"input_text":"x","granularity":1}),
    )
    .await
    .assert_error(504, "provider_timeout");
    assert_eq!(app.count("breakdown").await, 0);
}

#[tokio::test]
async fn the_request_budget_bounds_the_whole_provider_time() {
    let app = TestApp::with(|s| offload_api::Settings {
        openai_timeout_seconds: 5.0,
        ai_request_budget_seconds: 0.2,
        ..s
    })
    .await;
    app.provider_replies(openai_reply("{}", 1, 1).set_delay(ms(3000)))
        .await;
    let token = app.token().await;
    let started = std::time::Instant::now();
    app.ai(
        "/v1/ai/braindump/compile",
        &token,
        &json!({"input_text":"x"}),
    )
    .await
    .assert_error(504, "provider_timeout");
    assert!(started.elapsed() < ms(2000));
}

#[tokio::test]
async fn without_key_or_base_url_ai_routes_answer_503_without_network() {
    let app = TestApp::with(|s| offload_api::Settings {
        openai_api_key: None,
        openai_base_url: None,
        ..s
    })
    .await;
    let token = app.token().await;
    for (uri, body, _) in routes() {
        app.ai(uri, &token, &body)
            .await
            .assert_error(503, "provider_unavailable");
    }
    assert_eq!(app.count("breakdown").await, 0);
}

#[tokio::test]
async fn a_base_url_without_key_is_an_openai_compatible_server() {
    let app = TestApp::with(|s| offload_api::Settings {
        openai_api_key: None,
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"x","granularity":1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sent = &app.openai.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("authorization").is_none());
}

async fn anthropic_app(server: &MockServer) -> TestApp {
    let uri = server.uri();
    TestApp::with(move |s| offload_api::Settings {
        ai_provider: "anthropic".into(),
        anthropic_api_key: Some("ak-test".into()),
        anthropic_base_url: Some(uri),
        ..s
    })
    .await
}

fn anthropic_reply(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "content": [{"type":"text","text": text}],
        "usage": {"input_tokens": 10, "output_tokens": 20}
    }))
}

#[tokio::test]
async fn the_anthropic_provider_is_selected_by_setting() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "ak-test"))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(anthropic_reply(&format!(
            "```json\n{}\n```",
            fake::breakdown()
        )))
        .mount(&server)
        .await;
    let app = anthropic_app(&server).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/breakdown/generate",
            &token,
            &json!({"input_text":"x","granularity":2}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["provider"], "anthropic");
    assert_eq!(
        r.body["usage"],
        json!({"input_tokens":10,"output_tokens":20})
    );
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["max_tokens"], 2048);
    assert!(body["system"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn anthropic_uses_1024_tokens_for_decide_execfunction_and_draft() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_reply(&fake::decide().to_string()))
        .mount(&server)
        .await;
    let app = anthropic_app(&server).await;
    let token = app.token().await;
    app.ai(
        "/v1/ai/decide/recommend",
        &token,
        &json!({"input_text":"x"}),
    )
    .await;
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["max_tokens"], 1024);
}

#[tokio::test]
async fn anthropic_5xx_and_529_are_provider_unavailable() {
    for status in [500, 503, 529] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let app = anthropic_app(&server).await;
        let token = app.token().await;
        app.ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text":"x"}),
        )
        .await
        .assert_error(503, "provider_unavailable");
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn anthropic_529_twice_then_success_answers_200() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_reply(&fake::braindump().to_string()))
        .mount(&server)
        .await;
    let app = anthropic_app(&server).await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text":"x"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn anthropic_without_key_is_unavailable() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_provider: "anthropic".into(),
        ..s
    })
    .await;
    let token = app.token().await;
    app.ai(
        "/v1/ai/braindump/compile",
        &token,
        &json!({"input_text":"x"}),
    )
    .await
    .assert_error(503, "provider_unavailable");
}

#[tokio::test]
async fn anthropic_non_json_text_is_an_invalid_response() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_reply("Sure! Here are your steps: 1. …"))
        .mount(&server)
        .await;
    let app = anthropic_app(&server).await;
    let token = app.token().await;
    app.ai(
        "/v1/ai/breakdown/generate",
        &token,
        &json!({"input_text":"x","granularity":1}),
    )
    .await
    .assert_error(502, "provider_invalid_response");
}

/// `OFFLOAD_AI_PROVIDERS=openai,anthropic`: OpenAI failing after its retries hands the call to
/// Anthropic, whose answer (and name) the app gets; a rejected request is not asked again.
#[tokio::test]
async fn an_ordered_failover_chain_asks_the_next_provider_after_a_retryable_failure() {
    let anthropic = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(anthropic_reply(&fake::breakdown().to_string()))
        .mount(&anthropic)
        .await;
    let uri = anthropic.uri();
    let app = TestApp::with(move |s| offload_api::Settings {
        ai_providers: Some("openai, anthropic".into()),
        anthropic_api_key: Some("ak-test".into()),
        anthropic_base_url: Some(uri),
        ..s
    })
    .await;
    app.provider_replies(ResponseTemplate::new(503)).await;
    let token = app.token().await;
    let body = json!({"input_text":"x","granularity":1});
    let r = app.ai("/v1/ai/breakdown/generate", &token, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["provider"], "anthropic");
    let retries = app.state.config.provider.retry.max_attempts as usize;
    assert_eq!(
        app.provider_calls().await,
        retries,
        "OpenAI was asked first, with its retries"
    );
    assert_eq!(anthropic.received_requests().await.unwrap().len(), 1);
    assert_eq!(app.count("breakdown").await, 1);

    // A request OpenAI rejects (4xx) ends there.
    app.openai.reset().await;
    app.provider_replies(ResponseTemplate::new(400)).await;
    app.ai("/v1/ai/breakdown/generate", &token, &body)
        .await
        .assert_error(502, "provider_request_failed");
    assert_eq!(anthropic.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failover_chain_must_name_known_providers_once() {
    for bad in ["openai,openai", "openai,gemini", ""] {
        let settings = offload_api::Settings {
            ai_providers: Some(bad.into()),
            ..test_settings("http://127.0.0.1:9", "/tmp")
        };
        let r = offload_api::Config::from_settings(settings);
        assert_eq!(r.is_err(), !bad.is_empty(), "{bad:?}");
    }
}
