//! The back ends against fake providers on 127.0.0.1: status mapping, retries, Retry-After,
//! timeouts, token usage, and that nothing of the content is logged.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use ai_providers::{
    AnthropicClient, AnthropicConfig, CallLimits, ChatProvider, ChatRequest, OpenAiClient,
    OpenAiConfig, Pacer, ProviderError, RetryPolicy,
};
use futures::future::BoxFuture;
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

/// Records sleeps instead of sleeping; jitter is a fixed number.
#[derive(Default)]
struct RecordingPacer {
    sleeps: Mutex<Vec<Duration>>,
    random: f64,
}

impl Pacer for RecordingPacer {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.sleeps.lock().unwrap().push(d);
        Box::pin(async {})
    }
    fn unit_random(&self) -> f64 {
        self.random
    }
}

impl RecordingPacer {
    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

fn fast_limits() -> CallLimits {
    CallLimits {
        attempt_timeout: Duration::from_millis(1000),
        deadline: None,
    }
}

fn openai(server: &MockServer, retry: RetryPolicy) -> (OpenAiClient, Arc<RecordingPacer>) {
    let pacer = Arc::new(RecordingPacer::default());
    let client = OpenAiClient::new(
        reqwest::Client::new(),
        OpenAiConfig {
            base_url: server.uri(),
            api_key: Some("sk-test".into()),
            limits: fast_limits(),
            retry,
            ..OpenAiConfig::default()
        },
    )
    .with_pacer(pacer.clone());
    (client, pacer)
}

fn anthropic(server: &MockServer, retry: RetryPolicy) -> (AnthropicClient, Arc<RecordingPacer>) {
    let pacer = Arc::new(RecordingPacer::default());
    let client = AnthropicClient::new(
        reqwest::Client::new(),
        AnthropicConfig {
            base_url: server.uri(),
            api_key: Some("ak-test".into()),
            limits: fast_limits(),
            retry,
            ..AnthropicConfig::default()
        },
    )
    .with_pacer(pacer.clone());
    (client, pacer)
}

fn openai_ok(content: &str, prompt: u64, completion: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion}
    }))
}

fn anthropic_ok(text: &str, input: u64, output: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "content": [{"type": "text", "text": text}],
        "usage": {"input_tokens": input, "output_tokens": output}
    }))
}

fn request() -> ChatRequest {
    ChatRequest::text("system prompt", "user text").json()
}

#[tokio::test]
async fn openai_timeout_then_success_takes_two_attempts_and_one_sleep() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(openai_ok("{}", 1, 1).set_delay(Duration::from_millis(3000)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(openai_ok("{\"steps\":[]}", 11, 7))
        .mount(&server)
        .await;
    let (client, pacer) = openai(&server, RetryPolicy::default());
    let answer = client.chat(&request()).await.unwrap();
    assert_eq!(answer.attempts, 2);
    assert_eq!(answer.usage.input_tokens, 11);
    assert_eq!(answer.usage.output_tokens, 7);
    assert_eq!(answer.text, "{\"steps\":[]}");
    assert_eq!(pacer.sleeps(), vec![Duration::from_millis(250)]);
}

#[tokio::test]
async fn openai_400_is_not_retried_and_says_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("echo: user text"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, pacer) = openai(&server, RetryPolicy::default());
    let err = client.chat(&request()).await.unwrap_err();
    assert_eq!(err, ProviderError::Rejected { status: 400 });
    assert!(err.to_string().contains("rejected"));
    assert!(
        !err.to_string().contains("user text"),
        "error bodies are never read"
    );
    assert!(pacer.sleeps().is_empty());
}

#[tokio::test]
async fn openai_429_then_503s_ends_as_server_error_after_three_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let logs = platform::telemetry::CapturedLogs::default();
    let _guard = tracing::subscriber::set_default(platform::telemetry::subscriber(
        platform::telemetry::LogFormat::Json,
        "trace",
        logs.clone(),
    ));
    let (client, pacer) = openai(&server, RetryPolicy::default());
    let err = client.chat(&request()).await.unwrap_err();
    assert_eq!(err, ProviderError::ServerError { status: 503 });
    assert!(err.to_string().contains("server error"));
    assert_eq!(err.http_status(), 502);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(pacer.sleeps().len(), 2);
    let logs = logs.contents();
    let terminal = logs
        .lines()
        .find(|l| l.contains("provider_retry_terminal"))
        .expect("a terminal log line");
    assert!(terminal.contains("\"attempt_count\":3"), "{terminal}");
    assert!(terminal.contains("\"error_class\":\"server_error\""));
    assert!(terminal.contains("\"provider\":\"openai\""));
    assert!(!logs.contains("user text") && !logs.contains("system prompt"));
}

#[tokio::test]
async fn the_total_sleep_never_exceeds_the_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(10),
        max_total_delay: Duration::from_millis(1500),
        jitter_factor: 0.0,
    };
    let (client, pacer) = openai(&server, policy);
    client.chat(&request()).await.unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    let total: Duration = pacer.sleeps().iter().sum();
    assert!(total <= Duration::from_millis(1500), "{total:?}");
    assert_eq!(
        pacer.sleeps(),
        vec![Duration::from_secs(1), Duration::from_millis(500)]
    );
}

#[tokio::test]
async fn retry_after_on_429_is_honoured_within_the_budget() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(openai_ok("{}", 1, 1))
        .mount(&server)
        .await;
    let (client, pacer) = openai(&server, RetryPolicy::default());
    client.chat(&request()).await.unwrap();
    assert_eq!(pacer.sleeps(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn retry_after_beyond_the_budget_ends_the_call_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .mount(&server)
        .await;
    let (client, pacer) = openai(&server, RetryPolicy::default());
    assert_eq!(
        client.chat(&request()).await.unwrap_err(),
        ProviderError::RateLimited
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(pacer.sleeps().is_empty());
}

#[tokio::test]
async fn every_attempt_timing_out_ends_as_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_ok("{}", 1, 1).set_delay(Duration::from_millis(3000)))
        .mount(&server)
        .await;
    let (client, _) = openai(
        &server,
        RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        },
    );
    let err = client.chat(&request()).await.unwrap_err();
    assert_eq!(err, ProviderError::Timeout);
    assert_eq!(err.http_status(), 504);
}

#[tokio::test]
async fn the_overall_deadline_caps_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_ok("{}", 1, 1).set_delay(Duration::from_millis(3000)))
        .mount(&server)
        .await;
    let pacer = Arc::new(RecordingPacer::default());
    let client = OpenAiClient::new(
        reqwest::Client::new(),
        OpenAiConfig {
            base_url: server.uri(),
            api_key: Some("k".into()),
            limits: CallLimits {
                attempt_timeout: Duration::from_millis(150),
                deadline: Some(Duration::from_millis(200)),
            },
            retry: RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::ZERO,
                ..RetryPolicy::default()
            },
            ..OpenAiConfig::default()
        },
    )
    .with_pacer(pacer);
    let started = std::time::Instant::now();
    assert_eq!(
        client.chat(&request()).await.unwrap_err(),
        ProviderError::Timeout
    );
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(server.received_requests().await.unwrap().len() <= 3);
}

#[tokio::test]
async fn unreachable_providers_are_transport_failures() {
    let (client, _) = {
        let pacer = Arc::new(RecordingPacer::default());
        let c = OpenAiClient::new(
            reqwest::Client::new(),
            OpenAiConfig {
                base_url: "http://127.0.0.1:9".into(),
                api_key: Some("k".into()),
                limits: fast_limits(),
                retry: RetryPolicy::none(),
                ..OpenAiConfig::default()
            },
        )
        .with_pacer(pacer.clone());
        (c, pacer)
    };
    let err = client.chat(&request()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Transport | ProviderError::Timeout),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_key_is_unavailable_without_any_request() {
    let server = MockServer::start().await;
    let client = OpenAiClient::new(
        reqwest::Client::new(),
        OpenAiConfig {
            base_url: server.uri(),
            ..OpenAiConfig::default()
        },
    );
    let err = client.chat(&request()).await.unwrap_err();
    assert_eq!(err, ProviderError::NotConfigured);
    assert!(err.to_string().contains("API key"));
    assert_eq!(err.http_status(), 503);
    let anthropic = AnthropicClient::new(
        reqwest::Client::new(),
        AnthropicConfig {
            base_url: server.uri(),
            ..AnthropicConfig::default()
        },
    );
    assert_eq!(
        anthropic.chat(&request()).await.unwrap_err(),
        ProviderError::NotConfigured
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_openai_compatible_server_needs_no_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(openai_ok("{\"ok\":true}", 2, 3))
        .mount(&server)
        .await;
    let client = OpenAiClient::new(
        reqwest::Client::new(),
        OpenAiConfig {
            name: "local".into(),
            base_url: format!("{}/v1/", server.uri()),
            require_api_key: false,
            model: "llama".into(),
            ..OpenAiConfig::default()
        },
    );
    let answer = client.chat(&request()).await.unwrap();
    assert_eq!(answer.text, "{\"ok\":true}");
    assert_eq!(client.name(), "local");
    let sent = &server.received_requests().await.unwrap()[0];
    assert!(sent.headers.get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["model"], "llama");
}

#[tokio::test]
async fn anthropic_success_sends_version_and_key_and_reports_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("x-api-key", "ak-test"))
        .respond_with(anthropic_ok("```json\n{\"steps\":[]}\n```", 10, 20))
        .mount(&server)
        .await;
    let (client, _) = anthropic(&server, RetryPolicy::default());
    let answer = client
        .chat(&ChatRequest::text("s", "u").max_tokens(2048))
        .await
        .unwrap();
    assert_eq!(answer.text, "{\"steps\":[]}");
    assert_eq!(
        (answer.usage.input_tokens, answer.usage.output_tokens),
        (10, 20)
    );
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["max_tokens"], 2048);
    assert_eq!(body["model"], "claude-haiku-4-5-20251001");
}

#[tokio::test]
async fn anthropic_429_then_503_ends_unavailable_after_three_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (client, pacer) = anthropic(&server, RetryPolicy::default());
    let err = client.chat(&request()).await.unwrap_err();
    assert_eq!(err, ProviderError::Overloaded { status: 503 });
    assert_eq!(err.http_status(), 503);
    assert_eq!(pacer.sleeps().len(), 2);
}

#[tokio::test]
async fn anthropic_529_twice_then_success_takes_three_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(anthropic_ok("{}", 1, 2))
        .mount(&server)
        .await;
    let (client, _) = anthropic(&server, RetryPolicy::default());
    assert_eq!(client.chat(&request()).await.unwrap().attempts, 3);
}

#[tokio::test]
async fn anthropic_400_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let (client, pacer) = anthropic(&server, RetryPolicy::default());
    let err = client.chat(&request()).await.unwrap_err();
    assert!(err.to_string().contains("rejected"));
    assert!(pacer.sleeps().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_2xx_that_is_not_the_envelope_is_an_invalid_response() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&server)
        .await;
    let (client, _) = openai(&server, RetryPolicy::default());
    assert_eq!(
        client.chat(&request()).await.unwrap_err(),
        ProviderError::InvalidResponse
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
