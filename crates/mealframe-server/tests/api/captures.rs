//! Asynchronous capture (issue 12): `POST /api/v1/captures` answers 202 at once with a
//! "processing" meal; the worker (`capture_queue::run_once`, run here in step with the test)
//! fills it in from fake vision and transcription servers on 127.0.0.1, or fails it with a
//! reason and a retry. Durable: a crashed worker's job is resumed after its lease, and two
//! instances on one database run each job once.

use std::time::Duration;

use axum::http::StatusCode;
use mealframe_server::app::capture_queue::{self, Round};
use mealframe_store::capture_jobs;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{body_string_contains, method, path},
};

use crate::helpers::{Resp, TestApp, count};

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
const OGG: &[u8] = b"OggS\0\x02fake opus voice note";

fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 150}
    }))
}

fn bowl() -> String {
    json!({
        "meal_name": "Chicken bowl", "portion_description": "150 g chicken + 150 g rice",
        "calories_kcal": 540, "protein_g": 45.2, "carbs_g": 60, "sugar_g": 1, "fat_g": 12.5,
        "saturated_fat_g": 3, "fiber_g": 4, "confidence_score": 0.86,
        "identified_items": [{"name": "chicken", "estimated_quantity": "150 g"}],
        "suggested_meal_type": "lunch"
    })
    .to_string()
}

async fn app_with(
    fake: &MockServer,
    f: impl FnOnce(&mut mealframe_server::config::Settings),
) -> TestApp {
    let base = format!("{}/v1", fake.uri());
    TestApp::builder()
        .with(|s| {
            s.openai_api_key = Some("sk-test".into());
            s.openai_base_url = base;
            s.ai_capture_timeout_seconds = 1;
            s.capture_retry_seconds = 30;
            f(s);
        })
        .build()
        .await
}

/// One multipart part: field, file name, content type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A multipart body of parts.
fn form(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "CAPTUREBOUNDARY";
    let mut body = Vec::new();
    for (name, file, ct, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = ct {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, token: &str, parts: &[Part<'_>]) -> Resp {
    let (ct, body) = form(parts);
    app.post("/api/v1/captures")
        .bearer(token)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await
}

/// A fake model server whose every chat completion answers `content`.
async fn model_answering(content: &str) -> MockServer {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(content))
        .mount(&fake)
        .await;
    fake
}

/// Capture a photo; the new meal's id.
async fn upload_photo(app: &TestApp, token: &str) -> String {
    let r = upload(
        app,
        token,
        &[("image", Some("meal.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await;
    r.assert(StatusCode::ACCEPTED);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn describe(app: &TestApp, token: &str, body: Value) -> Resp {
    app.post("/api/v1/captures")
        .bearer(token)
        .json(body)
        .send()
        .await
}

async fn work(app: &TestApp) -> Round {
    capture_queue::run_once(&app.state)
        .await
        .expect("a worker round")
}

async fn meal(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_json(token, &format!("/api/v1/meals/{id}")).await
}

fn chat_calls(requests: &[Request]) -> usize {
    requests
        .iter()
        .filter(|r| r.url.path().ends_with("/chat/completions"))
        .count()
}

#[tokio::test]
async fn a_described_meal_is_accepted_at_once_and_filled_in_by_the_worker() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("two eggs and toast"))
        .respond_with(completion(&bowl()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;

    let r = describe(&app, &lib.token, json!({"text": "  two eggs and toast  "})).await;
    r.assert(StatusCode::ACCEPTED);
    let m = r.json();
    assert_eq!(m["processing_status"], "processing");
    assert_eq!(m["source"], "ad_hoc_text");
    assert_eq!(m["name"], "Described meal");
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/meals/{id}").as_str())
    );
    assert!(
        fake.received_requests().await.unwrap().is_empty(),
        "nothing waited for the model"
    );

    assert_eq!(
        work(&app).await,
        Round {
            completed: 1,
            ..Round::default()
        }
    );
    let m = meal(&app, &lib.token, &id).await;
    assert_eq!(m["processing_status"], "completed");
    assert_eq!(m["name"], "Chicken bowl");
    assert_eq!(m["portion_description"], "150 g chicken + 150 g rice");
    assert_eq!(
        (m["calories_kcal"].clone(), m["protein_g"].clone()),
        (json!(540), json!("45.2"))
    );
    assert_eq!(m["confidence_score"], "0.86");
    assert_eq!(m["ai_model_version"], "gpt-4o");
    assert_eq!(
        m["identified_items"],
        json!([{"name": "chicken", "estimated_quantity": "150 g"}])
    );
    assert_eq!(m["processing_error"], Value::Null);
    // The suggested type is the user's own "Lunch".
    assert_eq!(m["meal_types"][0]["name"], "Lunch");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 1);
    // Captures never enter the rotation, and can be listed by source.
    let listed = app
        .get_json(&lib.token, "/api/v1/meals?source=ad_hoc_text")
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["processing_status"], "completed");
    // Nothing left to do.
    assert_eq!(work(&app).await, Round::default());
}

#[tokio::test]
async fn a_photo_goes_to_the_model_and_is_not_kept_once_the_meal_is_filled_in() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("data:image/jpeg;base64,"))
        .respond_with(completion(&bowl()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let r = upload(
        &app,
        &lib.token,
        &[("image", Some("meal.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await;
    r.assert(StatusCode::ACCEPTED);
    assert_eq!(r.json()["source"], "ad_hoc_image");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM capture_jobs WHERE input IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(work(&app).await.completed, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM capture_jobs WHERE input IS NOT NULL"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_voice_note_is_transcribed_then_estimated_and_the_recording_is_dropped() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(body_string_contains("whisper-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": "Porridge with blueberries", "usage": {"type": "duration", "seconds": 4.2}})))
        .expect(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("Porridge with blueberries"))
        .respond_with(completion(&bowl()))
        .expect(1)
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let r = upload(
        &app,
        &lib.token,
        &[(
            "audio",
            Some("note.ogg"),
            Some("audio/ogg; codecs=opus"),
            OGG,
        )],
    )
    .await;
    r.assert(StatusCode::ACCEPTED);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(r.json()["source"], "ad_hoc_voice");
    assert_eq!(work(&app).await.completed, 1);
    assert_eq!(
        meal(&app, &lib.token, &id).await["processing_status"],
        "completed"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM capture_jobs WHERE input IS NOT NULL"
        )
        .await,
        0
    );
    // Two metered calls: the transcription (Whisper's price is per minute) and the estimate.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM openai_usage WHERE model = 'whisper-1' AND cost_micro_usd = 420"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_capture_for_a_slot_marks_it_deviated_with_the_captured_meal() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    let slot = today["slots"][1]["id"].as_str().unwrap().to_owned();

    let r = describe(
        &app,
        &lib.token,
        json!({"text": "a burger instead", "slot_id": slot}),
    )
    .await;
    r.assert(StatusCode::ACCEPTED);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(today["slots"][1]["completion_status"], "deviated");
    assert_eq!(today["slots"][1]["actual_meal"]["id"], id.as_str());
    work(&app).await;
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(
        today["slots"][1]["actual_meal"]["name"], "Chicken bowl",
        "the view shows the estimate"
    );

    // With a date instead: the meal is added to that day.
    let r = describe(
        &app,
        &lib.token,
        json!({"text": "an apple", "date": "2026-11-18"}),
    )
    .await;
    r.assert(StatusCode::ACCEPTED);
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(today["slots"].as_array().unwrap().len(), 3);

    // Another user's slot is not found, and nothing is created.
    let bob = app.signup("bob@example.com").await;
    let before = count(&app, "SELECT COUNT(*) FROM meals").await;
    describe(&app, &bob, json!({"text": "x", "slot_id": slot}))
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, before);
}

#[tokio::test]
async fn a_provider_outage_is_retried_with_backoff_then_failed_with_a_reason_and_retried_by_the_user()
 {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let id = describe(&app, &lib.token, json!({"text": "pasta"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(work(&app).await.retrying, 1);
    assert_eq!(
        meal(&app, &lib.token, &id).await["processing_status"],
        "processing"
    );
    // Not due before its time: 30 s, then 60 s, then 120 s.
    assert_eq!(work(&app).await, Round::default());
    for wait in [30, 60] {
        app.advance(time::Duration::seconds(wait));
        assert_eq!(work(&app).await.retrying, 1, "after {wait} s");
    }
    app.advance(time::Duration::seconds(120));
    assert_eq!(work(&app).await.failed, 1);
    let m = meal(&app, &lib.token, &id).await;
    assert_eq!(m["processing_status"], "failed");
    assert_eq!(
        m["processing_error"],
        "The AI service did not answer. Retry later, or fill in the meal yourself."
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM openai_usage").await,
        0,
        "failed calls cost nothing"
    );

    // The user retries once the service is back.
    fake.reset().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&bowl()))
        .mount(&fake)
        .await;
    let r = app
        .post(&format!("/api/v1/captures/{id}/retry"))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::ACCEPTED);
    assert_eq!(r.json()["processing_status"], "processing");
    // Only a failed capture can be retried; another user's is not found.
    app.post(&format!("/api/v1/captures/{id}/retry"))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::CONFLICT);
    let bob = app.signup("bob@example.com").await;
    app.post(&format!("/api/v1/captures/{id}/retry"))
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(work(&app).await.completed, 1);
    assert_eq!(meal(&app, &lib.token, &id).await["name"], "Chicken bowl");
}

#[tokio::test]
async fn a_photo_without_food_fails_at_once_with_words_the_user_can_act_on() {
    let fake = MockServer::start().await;
    let none = json!({"meal_name": "Table", "portion_description": "", "confidence_score": 0.02})
        .to_string();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&none))
        .expect(1)
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let r = upload(
        &app,
        &lib.token,
        &[("image", Some("desk.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(work(&app).await.failed, 1);
    let m = meal(&app, &lib.token, &id).await;
    assert_eq!(m["processing_status"], "failed");
    assert!(
        m["processing_error"]
            .as_str()
            .unwrap()
            .starts_with("No food was recognised in the photo."),
        "{m}"
    );
    // The call was paid for.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 1);
}

#[tokio::test]
async fn a_job_of_a_crashed_worker_is_resumed_after_its_lease_and_completed_once() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let id = describe(&app, &lib.token, json!({"text": "rice"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A worker claims the job and dies before answering.
    let now = app.state.now();
    let claimed = {
        let mut tx = app.state.db.begin().await.unwrap();
        let c = capture_jobs::claim_due(
            &mut tx.conn(),
            "dead worker",
            now,
            now.plus(time::Duration::minutes(3)),
            10,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        c
    };
    assert_eq!(claimed.len(), 1);
    // A restarted instance leaves it alone while the lease runs…
    let restarted = app.another_instance();
    assert_eq!(
        capture_queue::run_once(&restarted).await.unwrap(),
        Round::default()
    );
    // …and resumes it once the lease is over.
    app.advance(time::Duration::minutes(4));
    assert_eq!(
        capture_queue::run_once(&restarted).await.unwrap().completed,
        1
    );
    assert_eq!(
        meal(&app, &lib.token, &id).await["processing_status"],
        "completed"
    );
    // The dead worker's late answer would change nothing.
    let mut tx = app.state.db.begin().await.unwrap();
    assert!(
        !capture_jobs::finish(
            &mut tx.conn(),
            claimed[0].id,
            "dead worker",
            app.state.now()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(chat_calls(&fake.received_requests().await.unwrap()), 1);
}

#[tokio::test]
async fn two_instances_on_one_database_run_each_job_once() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&bowl()).set_delay(Duration::from_millis(20)))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |s| s.capture_workers = 3).await;
    let lib = app.seed("ana@example.com").await;
    for i in 0..12 {
        describe(&app, &lib.token, json!({"text": format!("meal {i}")}))
            .await
            .assert(StatusCode::ACCEPTED);
    }
    let (a, b) = (app.state.clone(), app.another_instance());
    let drain = |s: mealframe_server::state::AppState| async move {
        let mut done = 0;
        for _ in 0..20 {
            done += capture_queue::run_once(&s).await.unwrap().completed;
        }
        done
    };
    let (da, db) = tokio::join!(drain(a), drain(b));
    assert_eq!(da + db, 12);
    assert_eq!(
        chat_calls(&fake.received_requests().await.unwrap()),
        12,
        "each job ran once"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals WHERE processing_status = 'completed' AND source = 'ad_hoc_text'").await, 12);
}

#[tokio::test]
async fn bad_captures_get_clear_errors_and_store_nothing() {
    let fake = MockServer::start().await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    let before = count(&app, "SELECT COUNT(*) FROM meals").await;
    let t = &lib.token;
    describe(&app, t, json!({"text": "   "}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    describe(&app, t, json!({"text": 42}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    describe(&app, t, json!({"text": "x".repeat(2001)}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    describe(&app, t, json!({}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    describe(&app, t, json!({"text": "soup", "slot_id": "nope"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    describe(&app, t, json!({"text": "soup", "date": "2026-02-30"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let r = upload(
        &app,
        t,
        &[("image", Some("a.gif"), Some("image/gif"), b"GIF89a")],
    )
    .await;
    r.assert(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    upload(
        &app,
        t,
        &[("image", Some("a.jpg"), Some("image/jpeg"), b"not a jpeg")],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    upload(
        &app,
        t,
        &[(
            "image",
            Some("a.heic"),
            Some("image/heic"),
            b"\0\0\0\x18ftypheic\0\0\0\0",
        )],
    )
    .await
    .assert(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    upload(
        &app,
        t,
        &[("image", Some("a.jpg"), Some("image/jpeg"), b"")],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    upload(
        &app,
        t,
        &[("audio", Some("a.ogg"), Some("audio/ogg"), b"plain text")],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    upload(&app, t, &[("slot_id", None, None, b"")])
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    upload(
        &app,
        t,
        &[
            ("image", Some("a.jpg"), Some("image/jpeg"), JPEG),
            ("audio", Some("a.ogg"), Some("audio/ogg"), OGG),
        ],
    )
    .await
    .assert(StatusCode::BAD_REQUEST);
    upload(
        &app,
        t,
        &[
            ("image", Some("a.jpg"), Some("image/jpeg"), JPEG),
            ("date", None, None, b"tomorrow"),
        ],
    )
    .await
    .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let big = [JPEG, &vec![0u8; 10 * 1024 * 1024]].concat();
    upload(
        &app,
        t,
        &[("image", Some("big.jpg"), Some("image/jpeg"), &big)],
    )
    .await
    .assert(StatusCode::PAYLOAD_TOO_LARGE);
    app.post("/api/v1/captures")
        .bearer(t)
        .raw(Some("text/plain"), "soup")
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM capture_jobs").await, 0);
    // Signed out.
    app.post("/api/v1/captures")
        .no_cookies()
        .json(json!({"text": "soup"}))
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn captures_need_a_configured_model_and_stop_at_the_monthly_cap() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = describe(&app, &token, json!({"text": "soup"})).await;
    r.assert(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.json()["detail"],
        "AI capture is not configured on this server"
    );

    let fake = MockServer::start().await;
    let app = app_with(&fake, |s| s.capture_monthly_limit = 2).await;
    let token = app.signup("ana@example.com").await;
    for _ in 0..2 {
        describe(&app, &token, json!({"text": "soup"}))
            .await
            .assert(StatusCode::ACCEPTED);
    }
    let r = describe(&app, &token, json!({"text": "soup"})).await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.json()["error"],
        "Rate limit exceeded: 2 captures per month"
    );
    // 2026-11-18 12:00 → 2026-12-01 00:00.
    assert_eq!(r.header("retry-after"), Some("1080000"));
    // Someone else's month is their own.
    let bob = app.signup("bob@example.com").await;
    describe(&app, &bob, json!({"text": "soup"}))
        .await
        .assert(StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_capture_is_its_owner_s_alone_and_goes_with_its_meal() {
    let fake = MockServer::start().await;
    let app = app_with(&fake, |_| {}).await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let r = upload(
        &app,
        &ana,
        &[("image", Some("meal.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    app.get(&format!("/api/v1/meals/{id}"))
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.delete(&format!("/api/v1/meals/{id}"))
        .bearer(&ana)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM capture_jobs").await,
        0,
        "the photo went with the meal"
    );
}

#[tokio::test]
async fn an_estimate_is_editable_and_never_overwrites_what_the_user_typed_meanwhile() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    let lib = app.seed("ana@example.com").await;
    // Edited while processing: the user's values stand, and the meal counts as done.
    let early = describe(&app, &lib.token, json!({"text": "leftover curry"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .put(&format!("/api/v1/meals/{early}"))
        .bearer(&lib.token)
        .json(json!({"name": "Leftover curry", "portion_description": "1 plate", "calories_kcal": 700}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["processing_status"], "completed");
    // Edited after completion: every field can be corrected.
    let late = describe(&app, &lib.token, json!({"text": "chicken and rice"}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(work(&app).await.completed, 2);
    let kept = meal(&app, &lib.token, &early).await;
    assert_eq!(
        (kept["name"].clone(), kept["calories_kcal"].clone()),
        (json!("Leftover curry"), json!(700))
    );
    let r = app
        .put(&format!("/api/v1/meals/{late}"))
        .bearer(&lib.token)
        .json(json!({"portion_description": "200 g chicken + 100 g rice", "protein_g": "52.5", "fiber_g": 2}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    let m = r.json();
    assert_eq!(
        (
            m["name"].clone(),
            m["protein_g"].clone(),
            m["fiber_g"].clone()
        ),
        (json!("Chicken bowl"), json!("52.5"), json!("2.0"))
    );
}

#[tokio::test]
async fn a_kept_photo_is_served_to_its_owner_only_and_goes_when_asked_or_with_its_meal() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = upload(
            &app,
            &ana,
            &[("image", Some("meal.jpg"), Some("image/jpeg"), JPEG)],
        )
        .await;
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(work(&app).await.completed, 2);
    let photo_url = format!("/api/v1/meals/{}/photo", ids[0]);
    assert_eq!(
        meal(&app, &ana, &ids[0]).await["image_path"],
        photo_url.as_str()
    );
    let r = app.get(&photo_url).bearer(&ana).send().await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(r.header("cache-control"), Some("private, max-age=3600"));
    assert_eq!(r.body.as_ref(), JPEG);
    app.get(&photo_url)
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.delete(&photo_url)
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    let files = |app: &TestApp| walk(&app.data_dir.join("photos"));
    assert_eq!(files(&app), 2);

    // Removed by the user: the meal stays, without its photo.
    app.delete(&photo_url)
        .bearer(&ana)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    app.get(&photo_url)
        .bearer(&ana)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    assert_eq!(meal(&app, &ana, &ids[0]).await["image_path"], Value::Null);
    assert_eq!(files(&app), 1);
    // Removed with its meal.
    app.delete(&format!("/api/v1/meals/{}", ids[1]))
        .bearer(&ana)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(files(&app), 0);
}

#[tokio::test]
async fn photos_go_with_the_account_and_after_the_retention_period() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |s| s.capture_retention_days = 30).await;
    let ana = app.signup("ana@example.com").await;
    app.signup("bob@example.com").await;
    upload(
        &app,
        &ana,
        &[("image", Some("old.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await
    .assert(StatusCode::ACCEPTED);
    work(&app).await;
    app.advance(time::Duration::days(20));
    // Signed in again (access tokens last minutes).
    let ana = app.login("ana@example.com", "correct horse").await;
    let bob = app.login("bob@example.com", "correct horse").await;
    let recent = upload(
        &app,
        &ana,
        &[("image", Some("new.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await
    .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    upload(
        &app,
        &bob,
        &[("image", Some("bob.jpg"), Some("image/jpeg"), JPEG)],
    )
    .await
    .assert(StatusCode::ACCEPTED);
    work(&app).await;
    assert_eq!(walk(&app.data_dir.join("photos")), 3);
    // Day 31: the first photo is past 30 days; its meal stays.
    app.advance(time::Duration::days(11));
    mealframe_server::jobs::housekeeping_once(&app.state)
        .await
        .unwrap();
    let ana = app.login("ana@example.com", "correct horse").await;
    assert_eq!(walk(&app.data_dir.join("photos")), 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM meals WHERE source = 'ad_hoc_image'"
        )
        .await,
        3
    );
    assert_eq!(
        meal(&app, &ana, &recent).await["image_path"],
        format!("/api/v1/meals/{recent}/photo").as_str()
    );
    // Deleting the account removes the rest of its photos, and only its own.
    let r = app
        .delete("/api/v1/auth/me")
        .bearer(&ana)
        .json(json!({"password": "correct horse"}))
        .send()
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert_eq!(walk(&app.data_dir.join("photos")), 1);
}

/// Files under `dir`, recursively (0 when it does not exist).
fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// A tiny S3-compatible server: PUT keeps an object, GET returns it, DELETE removes it.
#[derive(Clone, Default)]
struct FakeS3(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>);

impl wiremock::Respond for FakeS3 {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let key = req.url.path().to_owned();
        let mut objects = self.0.lock().unwrap();
        let etag = |b: &[u8]| format!("\"{}\"", b.len());
        match req.method.as_str() {
            "PUT" => {
                let tag = etag(&req.body);
                objects.insert(key, req.body.clone());
                ResponseTemplate::new(200).insert_header("ETag", tag.as_str())
            }
            "GET" => match objects.get(&key) {
                Some(b) => ResponseTemplate::new(200)
                    .insert_header("ETag", etag(b).as_str())
                    .insert_header("Last-Modified", "Wed, 18 Nov 2026 12:00:00 GMT")
                    .insert_header("Content-Length", b.len().to_string().as_str())
                    .set_body_bytes(b.clone()),
                None => ResponseTemplate::new(404).set_body_string(
                    "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>none</Message></Error>",
                ),
            },
            "DELETE" => {
                objects.remove(&key);
                ResponseTemplate::new(204)
            }
            _ => ResponseTemplate::new(405),
        }
    }
}

#[tokio::test]
async fn photos_can_live_in_an_s3_compatible_bucket_shared_by_instances() {
    let fake = model_answering(&bowl()).await;
    let s3 = MockServer::start().await;
    let objects = FakeS3::default();
    Mock::given(wiremock::matchers::path_regex("^/meal-photos/"))
        .respond_with(objects.clone())
        .mount(&s3)
        .await;
    let endpoint = s3.uri();
    let app = app_with(&fake, |s| {
        s.s3_bucket = Some("meal-photos".into());
        s.s3_endpoint = Some(endpoint);
        s.s3_access_key_id = Some("test-key".into());
        s.s3_secret_access_key = Some("test-secret".into());
    })
    .await;
    let ana = app.signup("ana@example.com").await;
    let id = upload_photo(&app, &ana).await;
    work(&app).await;
    assert_eq!(objects.0.lock().unwrap().len(), 1);
    assert_eq!(
        walk(&app.data_dir.join("photos")),
        0,
        "nothing on local disk"
    );
    // Signed requests, path-style.
    let put = s3
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.method.as_str() == "PUT")
        .unwrap();
    assert!(put.url.path().starts_with("/meal-photos/"), "{}", put.url);
    assert!(
        put.headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256")
    );
    // Another instance serves it from the bucket.
    let other = mealframe_server::router::router(app.another_instance());
    let r = {
        use tower::ServiceExt;
        other
            .oneshot(
                axum::http::Request::get(format!("/api/v1/meals/{id}/photo"))
                    .header("authorization", format!("Bearer {ana}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    };
    assert_eq!(r.status(), StatusCode::OK);
    app.delete(&format!("/api/v1/meals/{id}"))
        .bearer(&ana)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert!(
        objects.0.lock().unwrap().is_empty(),
        "deleted from the bucket with its meal"
    );
}

#[tokio::test]
async fn settings_show_this_months_ai_use_only_when_ai_capture_is_on() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    crate::web_pages::sign_in(&app, "ana@example.com").await;
    let html = app.get("/settings").send().await.text();
    assert!(
        html.contains("AI use this month")
            && html.contains("0 model calls for your captures, about $0.00"),
        "{html}"
    );
    let token = app.login("ana@example.com", "correct horse").await;
    describe(&app, &token, json!({"text": "soup"}))
        .await
        .assert(StatusCode::ACCEPTED);
    work(&app).await;
    let html = app.get("/settings").send().await.text();
    // gpt-4o: 900 prompt tokens at $5/M + 150 completion tokens at $15/M = $0.0068.
    assert!(
        html.contains("1 model call for your captures, about $0.01"),
        "{html}"
    );

    let off = TestApp::new().await;
    crate::web_pages::sign_in(&off, "ana@example.com").await;
    assert!(
        !off.get("/settings")
            .send()
            .await
            .text()
            .contains("AI use this month")
    );
}

#[tokio::test]
async fn the_meal_page_shows_the_kept_photo_and_offers_a_retry_when_estimating_failed() {
    let fake = MockServer::start().await;
    let none = json!({"meal_name": "Table", "portion_description": "", "confidence_score": 0.02})
        .to_string();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&none))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&bowl()))
        .mount(&fake)
        .await;
    let app = app_with(&fake, |_| {}).await;
    crate::web_pages::sign_in(&app, "ana@example.com").await;
    let token = app.login("ana@example.com", "correct horse").await;
    let id = upload_photo(&app, &token).await;
    assert_eq!(work(&app).await.failed, 1);
    let html = app.get(&format!("/meals/{id}/edit")).send().await.text();
    assert!(
        html.contains("No food was recognised in the photo."),
        "{html}"
    );
    assert!(html.contains(&format!(r#"action="/meals/{id}/retry""#)));
    assert!(
        !html.contains("meal-photo"),
        "no photo is kept for a failed capture"
    );

    let r = app
        .post(&format!("/meals/{id}/retry"))
        .header("origin", "https://meals.example.org")
        .raw(crate::web_pages::FORM, "back=%2Fmeals")
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    assert_eq!(
        r.header("location").unwrap(),
        format!("/meals/{id}/edit?back=%2Fmeals")
    );
    let html = app.get(&format!("/meals/{id}/edit")).send().await.text();
    assert!(html.contains("Being estimated"), "{html}");
    assert_eq!(work(&app).await.completed, 1);
    let html = app.get(&format!("/meals/{id}/edit")).send().await.text();
    assert!(
        html.contains(&format!(
            r#"<img class="meal-photo" src="/api/v1/meals/{id}/photo" alt="Photo of Chicken bowl">"#
        )),
        "{html}"
    );
    assert!(!html.contains("Being estimated") && !html.contains("Estimate again"));
}

#[tokio::test]
async fn the_library_shows_a_captured_meals_photo_in_place_of_its_initial() {
    let fake = model_answering(&bowl()).await;
    let app = app_with(&fake, |_| {}).await;
    crate::web_pages::sign_in(&app, "ana@example.com").await;
    let token = app.login("ana@example.com", "correct horse").await;
    let id = upload_photo(&app, &token).await;
    let html = app.get("/meals").send().await.text();
    assert!(html.contains("Estimating…"), "{html}");
    work(&app).await;
    let html = app.get("/meals").send().await.text();
    assert!(
        html.contains(&format!(
            r#"<img class="meal-avatar" src="/api/v1/meals/{id}/photo" alt="" loading="lazy">"#
        )),
        "{html}"
    );
    assert!(!html.contains("Estimating…"));
}

/// The `mealframe` binary serving `data` on a free loopback port, its AI capture at `ai`.
fn start_server(data: &std::path::Path, ai: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mealframe"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .env_remove("MEALFRAME_DATABASE_URL")
        .env("MEALFRAME_OPENAI_BASE_URL", format!("{ai}/v1"))
        .env("MEALFRAME_AI_CAPTURE_TIMEOUT_SECONDS", "60")
        .env("MEALFRAME_CAPTURE_LEASE_SECONDS", "3")
        .env("MEALFRAME_LOG_LEVEL", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn a_server_killed_in_the_middle_of_a_capture_resumes_it_after_a_restart_and_completes_it_once()
 {
    let fake = MockServer::start().await;
    // The first estimate never answers in time: the server is killed while it waits.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&bowl()).set_delay(Duration::from_secs(120)))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(&bowl()))
        .mount(&fake)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (mut server, base) = start_server(dir.path(), &fake.uri());
    wait_until("the server answers", || async {
        http.get(format!("{base}/health")).send().await.is_ok()
    })
    .await;
    let register = json!({"email": "ana@example.com", "password": "correct horse"});
    http.post(format!("{base}/api/v1/auth/register"))
        .json(&register)
        .send()
        .await
        .unwrap();
    let login = |base: String| {
        let http = http.clone();
        let register = register.clone();
        async move {
            let r: Value = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&register)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["access_token"].as_str().unwrap().to_owned()
        }
    };
    let token = login(base.clone()).await;
    let r = http
        .post(format!("{base}/api/v1/captures"))
        .bearer_auth(&token)
        .json(&json!({"text": "rice and beans"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_until("the worker is in the middle of the model call", || async {
        chat_calls(&fake.received_requests().await.unwrap()) == 1
    })
    .await;
    server.kill().unwrap();
    server.wait().unwrap();

    let (mut server, base) = start_server(dir.path(), &fake.uri());
    wait_until("the restarted server answers", || async {
        http.get(format!("{base}/health")).send().await.is_ok()
    })
    .await;
    let token = login(base.clone()).await;
    let meal_url = format!("{base}/api/v1/meals/{id}");
    wait_until("the capture is completed", || async {
        let m: Value = http
            .get(&meal_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        m["processing_status"] == "completed"
    })
    .await;
    let m: Value = http
        .get(&meal_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["name"], "Chicken bowl");
    // Completed once: a second estimate, no third; one usage row (the killed call never answered).
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(chat_calls(&fake.received_requests().await.unwrap()), 2);
    server.kill().unwrap();
    server.wait().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("mealframe.sqlite3").display()
    );
    let db = dbkit::Db::open(&url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut r = db.reader().await.unwrap();
    let usage = dbkit::fetch_scalar!(r.conn(), i64, "SELECT COUNT(*) FROM openai_usage").unwrap();
    let done = dbkit::fetch_scalar!(
        r.conn(),
        i64,
        "SELECT COUNT(*) FROM capture_jobs WHERE state = 'done'"
    )
    .unwrap();
    assert_eq!((usage, done), (1, 1));
}
