//! Login, lockout and login rate limits.

use axum::http::StatusCode;
use mealframe_store::accounts::users;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn login_returns_a_bearer_token_and_the_refresh_cookie_of_the_original() {
    let app = TestApp::new().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "ANA@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    let body = r.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body.as_object().unwrap().len(), 2);
    let jwt = body["access_token"].as_str().unwrap();
    assert_eq!(jwt.split('.').count(), 3);
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 1);
    let c = &cookies[0];
    let (value, attrs) = c.split_once("; ").unwrap();
    assert!(
        value.starts_with("refresh_token=") && value.len() == "refresh_token=".len() + 64,
        "{c}"
    );
    assert_eq!(
        attrs,
        "HttpOnly; Max-Age=604800; Path=/api/v1/auth; SameSite=lax; Secure"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_address_get_the_same_401() {
    let app = TestApp::new().await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    for (email, pw) in [
        ("ana@example.com", "wrong horse"),
        ("nobody@example.com", "correct horse"),
    ] {
        let r = app
            .post("/api/v1/auth/login")
            .json(json!({"email": email, "password": pw}))
            .send()
            .await;
        r.assert(StatusCode::UNAUTHORIZED);
        assert_eq!(r.json(), json!({"detail": "Invalid email or password"}));
        assert!(r.set_cookies().is_empty());
    }
}

#[tokio::test]
async fn lockout_persists_across_failed_requests_and_lifts_after_the_window() {
    let app = TestApp::builder()
        .with(|s| {
            s.lockout_attempts = 3;
            s.lockout_minutes = 15;
        })
        .build()
        .await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    for _ in 0..3 {
        app.post("/api/v1/auth/login")
            .json(json!({"email": "ana@example.com", "password": "nope nope"}))
            .send()
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM failed_login_attempts").await,
        3,
        "failures are stored despite the 401"
    );
    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "Ana@Example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::LOCKED);
    assert_eq!(
        r.json(),
        json!({"detail": "Account temporarily locked due to too many failed login attempts. Try again later."})
    );

    app.advance(time::Duration::minutes(16));
    app.login("ana@example.com", "correct horse").await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM failed_login_attempts").await,
        0,
        "success clears the failures"
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::builder()
        .with(|s| s.lockout_attempts = 3)
        .build()
        .await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    for _ in 0..2 {
        for _ in 0..2 {
            app.post("/api/v1/auth/login")
                .json(json!({"email": "ana@example.com", "password": "nope nope"}))
                .send()
                .await
                .assert(StatusCode::UNAUTHORIZED);
        }
        app.login("ana@example.com", "correct horse").await;
    }
}

#[tokio::test]
async fn unknown_addresses_are_locked_out_too() {
    let app = TestApp::builder()
        .with(|s| s.lockout_attempts = 2)
        .build()
        .await;
    for _ in 0..2 {
        app.post("/api/v1/auth/login")
            .json(json!({"email": "ghost@example.com", "password": "x"}))
            .send()
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    app.post("/api/v1/auth/login")
        .json(json!({"email": "ghost@example.com", "password": "x"}))
        .send()
        .await
        .assert(StatusCode::LOCKED);
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let me = app
        .get("/api/v1/auth/me")
        .bearer(&token)
        .send()
        .await
        .json();
    let id = me["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    users::set_active(&mut tx.conn(), id, false, app.state.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(r.json(), json!({"detail": "Account is disabled"}));
    let r = app.get("/api/v1/auth/me").bearer(&token).send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "User not found or disabled"}));
}

#[tokio::test]
async fn login_is_rate_limited_per_client() {
    let app = TestApp::builder()
        .with(|s| s.login_rate_limit = "3/minute".into())
        .build()
        .await;
    for _ in 0..3 {
        app.post("/api/v1/auth/login")
            .json(json!({"email": "a@example.com", "password": "x"}))
            .send()
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "a@example.com", "password": "x"}))
        .send()
        .await;
    r.assert(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.json(),
        json!({"error": "Rate limit exceeded: 3 per 1 minute"})
    );
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn login_needs_a_well_formed_address() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "nope", "password": "x"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "email"]));
}
