//! Provider keys from files (`OFFLOAD_*_API_KEY_FILE`, as container secrets) and their reload
//! (`SIGHUP` → `AppState::reload_provider`): new calls use the new key, nothing is restarted.

use serde_json::json;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";

fn with_key_file(s: offload_api::Settings, file: &std::path::Path) -> offload_api::Settings {
    offload_api::Settings {
        openai_api_key: None,
        openai_api_key_file: Some(file.display().to_string()),
        ..s
    }
}

#[tokio::test]
async fn a_rotated_key_file_is_used_after_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("openai.key");
    std::fs::write(&key, "sk-one\n").unwrap();
    let file = key.clone();
    let app = TestApp::with(move |s| with_key_file(s, &file)).await;
    for k in ["sk-one", "sk-two"] {
        Mock::given(method("POST"))
            .and(path("/chat/completions"))
            .and(header("authorization", format!("Bearer {k}").as_str()))
            .respond_with(openai_reply(&fake::breakdown().to_string(), 1, 1))
            .mount(&app.openai)
            .await;
    }
    let token = app.token().await;
    let body = json!({"input_text": "x", "granularity": 1});
    app.ai(BREAKDOWN, &token, &body).await.assert_status(200);

    // The secret is rotated: the old key stops working at the provider.
    app.openai.reset().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(header("authorization", "Bearer sk-two"))
        .respond_with(openai_reply(&fake::breakdown().to_string(), 1, 1))
        .mount(&app.openai)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&app.openai)
        .await;
    std::fs::write(&key, "sk-two\n").unwrap();
    app.ai(BREAKDOWN, &token, &body)
        .await
        .assert_error(502, "provider_request_failed");

    let settings = with_key_file(
        test_settings(&app.openai.uri(), &dir.path().display().to_string()),
        &key,
    );
    app.state.reload_provider(settings).unwrap();
    app.ai(BREAKDOWN, &token, &body).await.assert_status(200);
}

#[tokio::test]
async fn a_bad_reload_keeps_the_provider_and_never_echoes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("openai.key");
    std::fs::write(&key, "sk-one").unwrap();
    let file = key.clone();
    let app = TestApp::with(move |s| with_key_file(s, &file)).await;
    app.provider_answers(fake::breakdown(), 1, 1).await;

    std::fs::write(&key, "  \n").unwrap();
    let base = test_settings(&app.openai.uri(), &dir.path().display().to_string());
    let e = app
        .state
        .reload_provider(with_key_file(base.clone(), &key))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("OFFLOAD_OPENAI_API_KEY_FILE") && e.contains("is empty"),
        "{e}"
    );
    let both = offload_api::Settings {
        openai_api_key: Some("sk-x".into()),
        ..with_key_file(base, &key)
    };
    let e = app.state.reload_provider(both).unwrap_err().to_string();
    assert!(e.contains("not both"), "{e}");
    std::fs::remove_file(&key).unwrap();
    let gone = with_key_file(
        test_settings(&app.openai.uri(), &dir.path().display().to_string()),
        &key,
    );
    let e = app.state.reload_provider(gone).unwrap_err().to_string();
    assert!(e.contains("cannot be read"), "{e}");

    // Still the provider built from the first key.
    let token = app.token().await;
    app.ai(
        BREAKDOWN,
        &token,
        &json!({"input_text": "x", "granularity": 1}),
    )
    .await
    .assert_status(200);
    let sent = &app.openai.received_requests().await.unwrap()[0];
    assert_eq!(sent.headers["authorization"], "Bearer sk-one");
}
