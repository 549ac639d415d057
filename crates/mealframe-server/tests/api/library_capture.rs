//! AI meal capture (§4.15) against a fake OpenAI-compatible server on 127.0.0.1.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::helpers::{Resp, TestApp, count, multipart};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake png body";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200}
    }))
}

fn salad() -> String {
    json!({
        "meal_name": "Chicken bowl", "portion_description": "150 g chicken + 150 g rice",
        "calories_kcal": 540.4, "protein_g": 45.25, "carbs_g": 60, "sugar_g": 0, "fat_g": 12.5,
        "saturated_fat_g": 3, "fiber_g": 4, "confidence_score": 0.86,
        "identified_items": [{"name": "chicken", "estimated_quantity": "150 g"}, {"quantity": "no name"}],
        "suggested_meal_type": "lunch"
    })
    .to_string()
}

/// An app whose AI capture talks to `fake`.
async fn app_with(
    fake: &MockServer,
    f: impl FnOnce(&mut mealframe_server::config::Settings),
) -> TestApp {
    let base = format!("{}/v1", fake.uri());
    TestApp::builder()
        .with(|s| {
            s.openai_api_key = Some("sk-test".into());
            s.openai_base_url = base;
            f(s);
        })
        .build()
        .await
}

async fn capture(app: &TestApp, token: &str, content_type: Option<&str>, image: &[u8]) -> Resp {
    let (ct, body) = multipart("image", "meal.png", content_type, image);
    app.post("/api/v1/meals/ai-capture")
        .bearer(token)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await
}

async fn sent_bodies(fake: &MockServer) -> Vec<Value> {
    fake.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn a_photo_comes_back_as_a_suggestion_with_numeric_macros() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(completion(&salad()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let token = app.signup("ana@example.com").await;
    app.patch("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({"timezone": "Europe/Ljubljana"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let lunch = app
        .create(&token, "/api/v1/meal-types", json!({"name": "Lunch"}))
        .await;
    app.create(
        &token,
        "/api/v1/meals",
        json!({"name": "Chicken bowl", "portion_description": "150 g chicken + 150 g rice", "meal_type_ids": [lunch["id"]]}),
    )
    .await;
    let other = app.signup("bob@example.com").await;
    app.create(
        &other,
        "/api/v1/meals",
        json!({"name": "Bob's secret stew", "portion_description": "1 pot"}),
    )
    .await;

    let r = capture(&app, &token, Some("image/png"), PNG).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({
            "meal_name": "Chicken bowl", "portion_description": "150 g chicken + 150 g rice",
            "calories_kcal": 540, "protein_g": 45.3, "carbs_g": 60.0, "sugar_g": 0.0, "fat_g": 12.5,
            "saturated_fat_g": 3.0, "fiber_g": 4.0, "confidence_score": 0.86,
            "identified_items": [{"name": "chicken", "estimated_quantity": "150 g"}],
            "suggested_meal_type": "Lunch", "ai_model_version": "gpt-4o"
        })
    );

    let sent = sent_bodies(&fake).await;
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["model"], "gpt-4o");
    assert_eq!(body["max_tokens"], 500);
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    let parts = body["messages"][1]["content"].as_array().unwrap();
    let text = parts[0]["text"].as_str().unwrap();
    assert!(
        text.contains("Wednesday, November 18 2026, 13:00"),
        "{text}"
    );
    assert!(text.contains("Europe/Ljubljana"));
    assert!(text.contains("The user's meal types: Lunch."));
    assert!(text.contains("- Chicken bowl: 150 g chicken + 150 g rice"));
    assert!(
        !text.contains("secret stew"),
        "another user's meal leaked into the prompt"
    );
    let url = parts[1]["image_url"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("data:image/png;base64,"),
        "PNG is sent as PNG"
    );

    // Nothing is saved but the usage: 1000 × $5/M + 200 × $15/M = 8000 µ$.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(cost_micro_usd) AS BIGINT) FROM openai_usage"
        )
        .await,
        8000
    );
}

#[tokio::test]
async fn the_upload_is_checked_before_the_model_is_asked() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(&salad()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let token = app.signup("ana@example.com").await;

    let r = capture(&app, &token, Some("image/gif"), b"GIF89a").await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail(),
        "Invalid file type: image/gif. Expected JPEG or PNG."
    );

    let r = capture(&app, &token, None, JPEG).await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail(),
        "Invalid file type: unknown. Expected JPEG or PNG."
    );

    let mut big = JPEG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = capture(&app, &token, Some("image/jpeg"), &big).await;
    r.assert(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.detail(), "Image too large. Maximum size is 10MB.");

    let r = capture(&app, &token, Some("image/jpeg"), b"").await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.detail(), "Image file is empty.");

    let r = capture(&app, &token, Some("image/jpeg"), b"not really a photo").await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.detail(), "Image file is not a valid JPEG or PNG.");

    let (ct, body) = multipart("photo", "meal.jpg", Some("image/jpeg"), JPEG);
    let r = app
        .post("/api/v1/meals/ai-capture")
        .bearer(&token)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "image"]));

    let r = app
        .post("/api/v1/meals/ai-capture")
        .bearer(&token)
        .json(json!({"image": "base64?"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);

    app.post("/api/v1/meals/ai-capture")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);

    assert!(sent_bodies(&fake).await.is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 0);
}

#[tokio::test]
async fn without_a_key_capture_is_unavailable() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = capture(&app, &token, Some("image/jpeg"), JPEG).await;
    r.assert(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.detail(), "OPENAI_API_KEY is not configured");
}

#[tokio::test]
async fn a_photo_without_food_is_refused_but_its_cost_is_kept() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(
            r#"{"meal_name": "Table", "confidence_score": 0.1}"#,
        ))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let token = app.signup("ana@example.com").await;
    let r = capture(&app, &token, Some("image/jpg"), JPEG).await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail(),
        "Could not identify food in this image (confidence: 0.10)"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 1);
    let sent = sent_bodies(&fake).await;
    let url = sent[0]["messages"][1]["content"][1]["image_url"]["url"]
        .as_str()
        .unwrap();
    assert!(url.starts_with("data:image/jpeg;base64,/9j/"));
}

#[tokio::test]
async fn model_failures_are_502_and_a_slow_model_is_504() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion("Looks like pasta to me!"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(r#"{"confidence_score": 7}"#))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad request"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .respond_with(completion(&salad()).set_delay(Duration::from_secs(5)))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |s| s.ai_capture_timeout_seconds = 1).await;
    let token = app.signup("ana@example.com").await;
    for _ in 0..3 {
        let r = capture(&app, &token, Some("image/png"), PNG).await;
        r.assert(StatusCode::BAD_GATEWAY);
        assert_eq!(r.detail(), "Could not analyze image. Please try again.");
    }
    let r = capture(&app, &token, Some("image/png"), PNG).await;
    r.assert(StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(r.detail(), "Analysis took too long. Please try again.");
    // Two answers arrived (and were paid for); the refused request and the timeout cost nothing.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 2);
}

#[tokio::test]
async fn captures_are_rate_limited_per_user() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(completion(&salad()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |s| s.ai_capture_rate_limit = "2/hour".into()).await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    for _ in 0..2 {
        capture(&app, &ana, Some("image/png"), PNG)
            .await
            .assert(StatusCode::OK);
    }
    let r = capture(&app, &ana, Some("image/png"), PNG).await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    capture(&app, &bob, Some("image/png"), PNG)
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn a_self_hosted_model_needs_no_key_and_reports_its_name() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&salad()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |s| {
        s.openai_api_key = None;
        s.openai_model = "llava".into();
    })
    .await;
    let token = app.signup("ana@example.com").await;
    let r = capture(&app, &token, Some("image/png"), PNG).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["ai_model_version"], "llava");
    let requests = fake.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
    assert_eq!(sent_bodies(&fake).await[0]["model"], "llava");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM openai_usage WHERE cost_micro_usd IS NULL"
        )
        .await,
        1
    );
}
