//! The test harness: an app per test on a fresh database (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set), a manual clock, and a wiremock OpenAI on 127.0.0.1.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode},
};
use dbkit::testing::TestDb;
use offload_api::{
    AppState, Config, Settings,
    auth::token::sign,
    router,
    store::{self, usage},
};
use platform::clock::ManualClock;
use serde_json::{Value, json};
use time::macros::datetime;
use tower::ServiceExt;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

pub const INSTALL: &str = "install-12345";
pub const TEST_SECRET: &str = "test-secret";
pub const PEER: ([u8; 4], u16) = ([203, 0, 113, 7], 40_000);

pub struct TestApp {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub openai: MockServer,
    pub db: TestDb,
    pub _data_dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The error code of an enveloped error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<none>")
    }

    pub fn assert_status(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
    }

    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "body: {}",
            self.text
        );
    }
}

/// The reference suite's settings (spec §9 "Test environment").
pub fn test_settings(openai: &str, data_dir: &str) -> Settings {
    Settings {
        data_dir: data_dir.into(),
        session_secret: Some(TEST_SECRET.into()),
        session_ttl_seconds: 120,
        session_token_issuer: "offload-backend-test".into(),
        session_token_audience: "offload-ios-test".into(),
        session_token_active_kid: "test-kid".into(),
        max_input_chars: 1000,
        default_feature_quota: 10,
        build_version: "test-build".into(),
        openai_api_key: Some("sk-test".into()),
        openai_base_url: Some(openai.into()),
        // Generous for a loaded CI machine; timeout tests set their own.
        openai_timeout_seconds: 2.0,
        anthropic_timeout_seconds: 2.0,
        ai_retry_base_delay_seconds: 0.001,
        ai_retry_max_delay_seconds: 0.002,
        ai_retry_max_total_delay_seconds: 0.01,
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|s| s).await
    }

    pub async fn with(adjust: impl FnOnce(Settings) -> Settings) -> TestApp {
        let openai = MockServer::start().await;
        let data_dir = tempfile::tempdir().unwrap();
        let settings = adjust(test_settings(
            &openai.uri(),
            &data_dir.path().display().to_string(),
        ));
        let config = Config::from_settings(settings).expect("test config");
        let db = TestDb::new(store::migrations()).await;
        let clock = Arc::new(ManualClock::new(datetime!(2026-02-16 12:00:00 UTC)));
        let state = AppState::new(config, db.db.clone(), clock.clone());
        TestApp {
            state,
            clock,
            openai,
            db,
            _data_dir: data_dir,
        }
    }

    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    pub async fn send_from(&self, peer: SocketAddr, req: Request<Body>) -> Reply {
        let response = self
            .router()
            .layer(MockConnectInfo(peer))
            .oneshot(req)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        self.send_from(SocketAddr::from(PEER), req).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(
            Request::builder()
                .method(Method::GET)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// POST raw bytes with the given headers (no content type unless given).
    pub async fn post_raw(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Reply {
        let mut b = Request::builder().method(Method::POST).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(body.into()).unwrap()).await
    }

    pub async fn post(&self, uri: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.post_raw(uri, &all, body.to_string()).await
    }

    pub async fn session_reply(&self, install: &str) -> Reply {
        self.post(
            "/v1/sessions/anonymous",
            &[],
            &json!({"install_id": install, "app_version": "1.0", "platform": "ios"}),
        )
        .await
    }

    pub async fn token_for(&self, install: &str) -> String {
        let r = self.session_reply(install).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["session_token"].as_str().unwrap().to_owned()
    }

    pub async fn token(&self) -> String {
        self.token_for(INSTALL).await
    }

    /// A v2 token signed with the test key that expired one second ago.
    pub fn expired_token(&self) -> String {
        let now = self.clock_now();
        forge(json!({"v":2,"kid":"test-kid","iat":now-121,"nbf":now-121,
            "iss":"offload-backend-test","aud":"offload-ios-test","install_id":INSTALL,"exp":now-1}))
    }

    pub fn clock_now(&self) -> i64 {
        use platform::clock::Clock;
        self.clock.now().unix_timestamp()
    }

    /// An AI call with bearer token and opt-in.
    pub async fn ai(&self, uri: &str, token: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {token}");
        self.post(
            uri,
            &[("authorization", &auth), ("x-offload-cloud-opt-in", "true")],
            body,
        )
        .await
    }

    pub async fn reconcile(&self, token: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {token}");
        self.post("/v1/usage/reconcile", &[("authorization", &auth)], body)
            .await
    }

    /// The fake OpenAI answers every call with this JSON object as the message content.
    pub async fn provider_answers(
        &self,
        content: Value,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) {
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(openai_reply(
                &content.to_string(),
                prompt_tokens,
                completion_tokens,
            ))
            .mount(&self.openai)
            .await;
    }

    pub async fn provider_replies(&self, template: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(template)
            .mount(&self.openai)
            .await;
    }

    pub async fn provider_calls(&self) -> usize {
        self.openai
            .received_requests()
            .await
            .unwrap_or_default()
            .len()
    }

    pub async fn count(&self, feature: &str) -> i64 {
        let period = usage::Period::at(self.state.config.quota_period, {
            use platform::clock::Clock;
            self.clock.now()
        });
        let install = offload_api::model::ids::InstallId::parse(INSTALL).unwrap();
        usage::count(&self.state.db, &install, &period, feature)
            .await
            .unwrap()
    }

    /// Set a feature's count directly (through reconcile's max-merge).
    pub async fn preload(&self, feature: &str, n: i64) {
        let token = self.token().await;
        let r = self
            .reconcile(
                &token,
                &json!({"install_id": INSTALL, "feature": feature, "local_count": n}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

pub fn forge(payload: Value) -> String {
    sign(payload.to_string().as_bytes(), TEST_SECRET.as_bytes())
}

pub fn openai_reply(content: &str, prompt: u64, completion: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion}
    }))
}

/// The fixed answers of the reference suite's fake provider.
pub mod fake {
    use serde_json::{Value, json};

    pub fn breakdown() -> Value {
        json!({"steps":[{"title":"Step 1","substeps":[{"title":"Substep 1.1","substeps":[]}]}]})
    }
    pub fn braindump() -> Value {
        json!({"items":[{"title":"Call dentist","type":"task"},{"title":"App for plants","type":"idea"}]})
    }
    pub fn decide() -> Value {
        json!({"options":[
            {"title":"Option A","description":"Do A.","is_recommended":true},
            {"title":"Option B","description":"Do B.","is_recommended":false}],
            "clarifying_questions":["What is your timeline?"]})
    }
    pub fn execfunction() -> Value {
        json!({"detected_challenge":"task_initiation","strategies":[{"strategy_id":"two_minute_rule",
            "challenge_type":"task_initiation","title":"Two-minute rule","description":"Start tiny.",
            "action_prompt":"Set a timer for two minutes."}],"encouragement":"You've got this."})
    }
    pub fn draft() -> Value {
        json!({"draft_text":"Hi! I wanted to reach out about this.","tone":"friendly"})
    }
}

/// Each AI route with a valid body and its fake answer.
pub fn routes() -> Vec<(&'static str, Value, Value)> {
    vec![
        (
            "/v1/ai/breakdown/generate",
            json!({"input_text":"Clean the kitchen","granularity":3,"context_hints":[],"template_ids":[]}),
            fake::breakdown(),
        ),
        (
            "/v1/ai/braindump/compile",
            json!({"input_text":"dentist, plants app","context_hints":[]}),
            fake::braindump(),
        ),
        (
            "/v1/ai/decide/recommend",
            json!({"input_text":"Pasta or salad?","context_hints":[]}),
            fake::decide(),
        ),
        (
            "/v1/ai/executive-function/prompt",
            json!({"input_text":"I can't start my taxes","context_hints":[],"strategy_history":[]}),
            fake::execfunction(),
        ),
        (
            "/v1/ai/communication/draft",
            json!({"input_text":"Ask about the invoice","channel":"email","contact_name":"Sam","context_hints":[]}),
            fake::draft(),
        ),
    ]
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A "PostgreSQL" that accepts connections and never answers (a hung server, a black-holed
/// network), as a database whose pool gives up after `acquire_timeout`. Needs no PostgreSQL.
/// Abort the handle to stop listening.
pub async fn silent_database(
    acquire_timeout: std::time::Duration,
) -> (dbkit::Db, tokio::task::JoinHandle<()>) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            open.push(conn); // accepted, never answered
        }
    });
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(acquire_timeout)
        .connect_lazy(&format!("postgres://u:p@127.0.0.1:{port}/offload"))
        .unwrap();
    (dbkit::Db::Postgres(pool), held)
}
