//! Privacy proof (deliberate difference 6): AI requests carrying a unique canary go through every
//! AI route on the success path and on every failure path (provider error, invalid output,
//! timeout, 413, 422, malformed JSON); afterwards the canary is in no file under the data
//! directory (database, WAL and secret included) and in no log line, captured at TRACE level so
//! that even debug logs of our code and our dependencies count. On PostgreSQL, every table is
//! dumped and searched too.

use std::{path::Path, sync::OnceLock};

use dbkit::{Db, DbOptions, testing::TestDb};
use offload_api::{AppState, Config, router, store};
use platform::{
    clock::SystemClock,
    telemetry::{CapturedLogs, LogFormat},
};
use serde_json::{Value, json};
use tracing_subscriber_init::init_capture;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_string_contains, method, path},
};

#[allow(dead_code)]
#[path = "api/support.rs"]
mod support;

use support::{fake, openai_reply, test_settings};

mod tracing_subscriber_init {
    use super::*;

    /// One process-wide subscriber writing every event and span, at every level, into memory.
    pub fn init_capture() -> CapturedLogs {
        static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = CapturedLogs::default();
            let subscriber =
                platform::telemetry::subscriber(LogFormat::Json, "trace", logs.clone());
            tracing::subscriber::set_global_default(subscriber).expect("first subscriber");
            logs
        })
        .clone()
    }
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                seen += 1;
                let bytes = std::fs::read(&p).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(p.display().to_string());
                }
            }
        }
    }
    assert!(seen > 0, "the data directory holds files");
    hits
}

/// The AI routes with a body whose every free-text field carries `canary`.
fn requests(canary: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "/v1/ai/breakdown/generate",
            json!({"input_text": canary, "granularity": 2, "context_hints": [canary], "template_ids": [canary]}),
        ),
        (
            "/v1/ai/braindump/compile",
            json!({"input_text": canary, "context_hints": [canary]}),
        ),
        (
            "/v1/ai/decide/recommend",
            json!({"input_text": canary, "clarifying_answers": [{"question": canary, "answer": canary}]}),
        ),
        (
            "/v1/ai/executive-function/prompt",
            json!({"input_text": canary, "strategy_history": [{"challenge_type": "overwhelm",
                "strategy_id": "s1", "thumbs_up": true, "led_to_completion": false}]}),
        ),
        (
            "/v1/ai/communication/draft",
            json!({"input_text": canary, "channel": "email", "contact_name": canary}),
        ),
    ]
}

/// Model answers that echo the canary (models do repeat their input).
fn echoing_answer(uri: &str, canary: &str) -> Value {
    let mut a = match uri {
        "/v1/ai/breakdown/generate" => fake::breakdown(),
        "/v1/ai/braindump/compile" => fake::braindump(),
        "/v1/ai/decide/recommend" => fake::decide(),
        "/v1/ai/executive-function/prompt" => fake::execfunction(),
        _ => fake::draft(),
    };
    let s = a
        .to_string()
        .replacen("\"Step 1\"", &format!("\"{canary}\""), 1)
        .replacen("Call dentist", canary, 1)
        .replacen("Option A", canary, 1)
        .replacen("You've got this.", canary, 1)
        .replacen("Hi! I wanted to reach out about this.", canary, 1);
    a = serde_json::from_str(&s).unwrap();
    a
}

async fn post(app: &axum::Router, uri: &str, token: &str, body: String) -> (u16, String) {
    use tower::ServiceExt;
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::post(uri)
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .header("x-offload-cloud-opt-in", "true")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn a_canary_in_every_ai_input_never_reaches_disk_or_logs() {
    let logs = init_capture();
    let canary = format!("CANARY-IN-{}", uuid::Uuid::new_v4().simple());
    let echoed = format!("CANARY-OUT-{}", uuid::Uuid::new_v4().simple());

    let data_dir = tempfile::tempdir().unwrap();
    let provider = MockServer::start().await;
    let mut settings = test_settings(&provider.uri(), &data_dir.path().display().to_string());
    // No secret given: the generated one is kept in the data directory, which is scanned too.
    settings.session_secret = None;
    settings.openai_timeout_seconds = 0.5;
    settings.ai_inference_limit_per_install = 10_000;
    settings.ai_inference_limit_per_ip = 10_000;
    settings.default_feature_quota = 10_000;
    let config = Config::from_settings(settings).unwrap();

    // A file-backed database inside the data directory (SQLite), or a fresh PostgreSQL database.
    let pg = match dbkit::testing::selected_engine() {
        dbkit::Engine::Postgres => Some(TestDb::new(store::migrations()).await),
        dbkit::Engine::Sqlite => None,
    };
    let db = match &pg {
        Some(t) => t.db.clone(),
        None => {
            let url = format!(
                "sqlite://{}",
                data_dir.path().join("offload.sqlite3").display()
            );
            Db::connect(&url, store::migrations(), &DbOptions::default())
                .await
                .unwrap()
        }
    };
    let state = AppState::new(config, db.clone(), std::sync::Arc::new(SystemClock));
    let token = state
        .tokens
        .issue(
            "install-privacy-1",
            None,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )
        .token;
    let app = router(state);

    let mut outcomes = Vec::new();
    for (uri, body) in requests(&canary) {
        let text = body.to_string();
        // success, with a model answer that echoes content
        provider.reset().await;
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .respond_with(openai_reply(
                &echoing_answer(uri, &echoed).to_string(),
                7,
                9,
            ))
            .mount(&provider)
            .await;
        outcomes.push((uri, "ok", post(&app, uri, &token, text.clone()).await));
        // provider error whose body echoes the prompt
        provider.reset().await;
        Mock::given(method("POST"))
            .and(body_string_contains(canary.as_str()))
            .respond_with(
                ResponseTemplate::new(400).set_body_string(format!("bad request: {canary}")),
            )
            .mount(&provider)
            .await;
        outcomes.push((
            uri,
            "provider_error",
            post(&app, uri, &token, text.clone()).await,
        ));
        // invalid output carrying content
        provider.reset().await;
        Mock::given(method("POST"))
            .respond_with(openai_reply(
                &format!("{{\"unexpected\": \"{echoed}\"}} trailing {echoed}"),
                1,
                1,
            ))
            .mount(&provider)
            .await;
        outcomes.push((
            uri,
            "invalid_output",
            post(&app, uri, &token, text.clone()).await,
        ));
        // valid JSON, wrong shape, content inside
        provider.reset().await;
        Mock::given(method("POST"))
            .respond_with(openai_reply(&json!({"steps": [{"title": echoed.repeat(20)}], "items": [{"title": echoed}], "options": [{"title": echoed}], "detected_challenge": echoed.repeat(3), "draft_text": 5}).to_string(), 1, 1))
            .mount(&provider).await;
        outcomes.push((
            uri,
            "bad_shape",
            post(&app, uri, &token, text.clone()).await,
        ));
        // timeout
        provider.reset().await;
        Mock::given(method("POST"))
            .respond_with(
                openai_reply("{}", 1, 1).set_delay(std::time::Duration::from_millis(3000)),
            )
            .mount(&provider)
            .await;
        outcomes.push((uri, "timeout", post(&app, uri, &token, text.clone()).await));
        // 413: over the character limit
        let mut big = body.clone();
        big["input_text"] = json!(canary.repeat(100));
        outcomes.push((
            uri,
            "too_large",
            post(&app, uri, &token, big.to_string()).await,
        ));
        // 422: the canary where a number, a list or a known key belongs
        let mut wrong = body.clone();
        wrong["context_hints"] = json!(canary);
        outcomes.push((
            uri,
            "invalid_body",
            post(&app, uri, &token, wrong.to_string()).await,
        ));
        let mut unknown = body.clone();
        unknown[canary.as_str()] = json!(canary);
        outcomes.push((
            uri,
            "unknown_key",
            post(&app, uri, &token, unknown.to_string()).await,
        ));
        outcomes.push((
            uri,
            "malformed",
            post(&app, uri, &token, format!("{{\"input_text\": \"{canary}")).await,
        ));
    }
    let expected = [
        ("ok", 200),
        ("provider_error", 502),
        ("invalid_output", 502),
        ("bad_shape", 502),
        ("timeout", 504),
        ("too_large", 413),
        ("invalid_body", 422),
        ("unknown_key", 422),
        ("malformed", 422),
    ];
    for (uri, path_name, (status, body)) in &outcomes {
        let want = expected.iter().find(|(n, _)| n == path_name).unwrap().1;
        assert_eq!(*status, want, "{uri} {path_name}: {body}");
        if *path_name != "ok" {
            assert!(
                !body.contains(&canary) && !body.contains(&echoed),
                "{uri} {path_name}: error bodies carry no content"
            );
        }
    }

    // Disk: every file under the data directory, after the database is closed (WAL included).
    if let Some(t) = &pg {
        let Db::Postgres(pool) = &t.db else {
            unreachable!()
        };
        for table in [
            "usage_counts",
            "quota_pools",
            "quota_reservations",
            "users",
            "rate_limit_windows",
        ] {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT t::text FROM {table} t"
            )))
            .fetch_all(pool)
            .await
            .unwrap();
            let dump = rows.join("\n");
            assert!(
                !dump.contains(&canary) && !dump.contains(&echoed),
                "{table}: {dump}"
            );
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_counts")
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(rows > 0, "counters were written");
    } else {
        let wal = data_dir.path().join("offload.sqlite3-wal");
        assert!(wal.exists(), "the WAL is part of what is scanned");
    }
    for needle in [&canary, &echoed] {
        let hits = files_containing(data_dir.path(), needle.as_bytes());
        assert!(hits.is_empty(), "content found on disk in {hits:?}");
    }
    db.close().await;
    for needle in [&canary, &echoed] {
        assert!(files_containing(data_dir.path(), needle.as_bytes()).is_empty());
    }

    // Logs: everything captured at TRACE level.
    let captured = logs.contents();
    assert!(
        captured.contains("\"ai_call\""),
        "the capture works and AI calls are logged"
    );
    assert!(captured.contains("provider_retry_terminal"));
    assert!(captured.contains("\"request complete\""));
    for needle in [&canary, &echoed] {
        if let Some(line) = captured.lines().find(|l| l.contains(needle.as_str())) {
            panic!("content reached the logs: {line}");
        }
    }
}
