//! Registration, e-mail verification and the 422 shapes of the account routes.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn register_answers_201_with_a_message_and_no_tokens() {
    let app = TestApp::builder().outbox().build().await;
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(
        r.json(),
        json!({"message": "Account created. Please check your email to verify your account."})
    );
    assert!(r.set_cookies().is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_tokens WHERE token_type = 'verification' AND is_used = FALSE").await, 1);
}

#[tokio::test]
async fn an_address_registers_once_whatever_its_case() {
    let app = TestApp::new().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "Probe.User@Example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "probe.user@example.com", "password": "other password"}))
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(r.json(), json!({"detail": "Email already registered"}));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn register_validates_with_pydantic_shaped_errors() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "short"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json(),
        json!({"detail": [{"type": "string_too_short", "loc": ["body", "password"], "msg": "String should have at least 8 characters", "input": "[hidden]", "ctx": {"min_length": 8}}]})
    );

    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "not-an-address", "password": "x".repeat(129)}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    let detail = r.detail();
    assert_eq!(detail[0]["type"], "value_error");
    assert_eq!(detail[0]["loc"], json!(["body", "email"]));
    assert!(
        detail[0]["msg"]
            .as_str()
            .unwrap()
            .starts_with("value is not a valid email address")
    );
    assert_eq!(detail[1]["type"], "string_too_long");
    assert_eq!(detail[1]["ctx"], json!({"max_length": 128}));

    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "missing");
    assert_eq!(r.detail()[0]["loc"], json!(["body", "password"]));
    assert_eq!(r.detail()[0]["msg"], "Field required");

    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": 42, "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "string_type");
    assert_eq!(r.detail()[0]["loc"], json!(["body", "email"]));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn malformed_missing_or_non_json_bodies_are_422_not_500() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .raw(Some("application/json"), "{\"email\": ")
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "json_invalid");
    assert_eq!(r.detail()[0]["msg"], "JSON decode error");
    assert_eq!(r.detail()[0]["loc"][0], "body");

    let r = app.post("/api/v1/auth/register").send().await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body"]));
    assert_eq!(r.detail()[0]["type"], "missing");

    let r = app
        .post("/api/v1/auth/register")
        .raw(
            Some("text/plain"),
            r#"{"email":"a@b.io","password":"correct horse"}"#,
        )
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "model_attributes_type");

    let r = app
        .post("/api/v1/auth/register")
        .json(json!(["a", "list"]))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "model_attributes_type");

    // No Content-Type at all is read as JSON, as the original does.
    app.post("/api/v1/auth/register")
        .raw(None, r#"{"email":"a@b.io","password":"correct horse"}"#)
        .send()
        .await
        .assert(StatusCode::CREATED);
}

#[tokio::test]
async fn without_a_mail_transport_new_accounts_can_log_in_at_once() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.json()["message"], "Account created. You can now log in.");
    let token = app.login("ana@example.com", "correct horse").await;
    let me = app.get("/api/v1/auth/me").bearer(&token).send().await;
    assert_eq!(me.json()["email_verified"], true);
}

#[tokio::test]
async fn verification_mail_lands_in_the_outbox_and_its_link_verifies_the_account() {
    let app = TestApp::builder().outbox().build().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);

    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(
        r.json(),
        json!({"detail": "Email not verified. Please check your inbox for a verification link."})
    );

    let mails = app.mails().await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.contains("Subject: Verify your MealFrame email"),
        "{mail}"
    );
    assert!(mail.contains("To: ana@example.com"), "{mail}");
    assert!(
        mail.contains("https://meals.example.org/verify-email?token="),
        "{mail}"
    );
    assert!(
        mail.contains("Content-Type: text/plain") && mail.contains("Content-Type: text/html"),
        "{mail}"
    );
    let token = app.last_mail_token().await;
    assert_eq!(token.len(), 64);

    let r = app
        .post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"message": "Email verified successfully. You can now log in."})
    );
    app.login("ana@example.com", "correct horse").await;

    let again = app
        .post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await;
    again.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json(),
        json!({"detail": "Invalid or already used verification token"})
    );
}

#[tokio::test]
async fn an_expired_verification_link_is_refused() {
    let app = TestApp::builder().outbox().build().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    let token = app.last_mail_token().await;
    app.advance(time::Duration::hours(25));
    let r = app
        .post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "Verification token has expired. Please request a new one."})
    );
    let r = app
        .post("/api/v1/auth/verify-email")
        .json(json!({ "token": "nonsense" }))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn resend_verification_answers_the_same_for_everyone_and_replaces_the_link() {
    let app = TestApp::builder().outbox().build().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    let first = app.last_mail_token().await;
    let expected = json!({"message": "If an unverified account exists with that email, a verification link has been sent."});

    let r = app
        .post("/api/v1/auth/resend-verification")
        .json(json!({"email": "ANA@example.com"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json(), expected);
    let r = app
        .post("/api/v1/auth/resend-verification")
        .json(json!({"email": "nobody@example.com"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json(), expected);
    assert_eq!(app.mails().await.len(), 2, "no mail for an unknown address");

    let second = app.last_mail_token().await;
    assert_ne!(first, second);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM email_tokens WHERE is_used = TRUE"
        )
        .await,
        1
    );
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": first }))
        .send()
        .await
        .assert(StatusCode::BAD_REQUEST);
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": second }))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn registration_is_rate_limited_per_client_with_retry_after() {
    let app = TestApp::builder()
        .with(|s| s.register_rate_limit = "2/minute".into())
        .build()
        .await;
    for i in 0..2 {
        app.post("/api/v1/auth/register")
            .json(json!({"email": format!("u{i}@example.com"), "password": "correct horse"}))
            .send()
            .await
            .assert(StatusCode::CREATED);
    }
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "u9@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.json(),
        json!({"error": "Rate limit exceeded: 2 per 1 minute"})
    );
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users").await,
        2,
        "the limited request stored nothing"
    );

    // Another client has its own budget; a forged X-Forwarded-For does not buy a new one.
    app.post("/api/v1/auth/register")
        .json(json!({"email": "u3@example.com", "password": "correct horse"}))
        .peer("10.9.9.9:1")
        .send()
        .await
        .assert(StatusCode::CREATED);
    app.post("/api/v1/auth/register")
        .json(json!({"email": "u4@example.com", "password": "correct horse"}))
        .header("x-forwarded-for", "203.0.113.77")
        .send()
        .await
        .assert(StatusCode::TOO_MANY_REQUESTS);

    app.advance(time::Duration::seconds(61));
    app.post("/api/v1/auth/register")
        .json(json!({"email": "u5@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
}

#[tokio::test]
async fn forwarded_for_is_believed_from_trusted_proxies_only() {
    let app = TestApp::builder()
        .with(|s| {
            s.register_rate_limit = "1/minute".into();
            s.trusted_proxies = "10.0.0.0/8".into();
        })
        .build()
        .await;
    let register = |email: &'static str, xff: &'static str| {
        app.post("/api/v1/auth/register")
            .json(json!({"email": email, "password": "correct horse"}))
            .peer("10.0.0.2:5000")
            .header("x-forwarded-for", xff)
    };
    register("a@example.com", "198.51.100.1")
        .send()
        .await
        .assert(StatusCode::CREATED);
    register("b@example.com", "198.51.100.2")
        .send()
        .await
        .assert(StatusCode::CREATED);
    register("c@example.com", "6.6.6.6, 198.51.100.1")
        .send()
        .await
        .assert(StatusCode::TOO_MANY_REQUESTS);
}
