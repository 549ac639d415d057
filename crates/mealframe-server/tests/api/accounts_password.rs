//! Forgotten passwords, reset links and password changes.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn forgot_password_answers_the_same_for_everyone_and_mails_a_link() {
    let app = TestApp::builder().outbox().build().await;
    app.signup("ana@example.com").await;
    let before = app.mails().await.len();
    let expected = json!({"message": "If an account exists with that email, a password reset link has been sent."});
    for email in ["ana@example.com", "nobody@example.com"] {
        let r = app
            .post("/api/v1/auth/forgot-password")
            .json(json!({ "email": email }))
            .send()
            .await;
        r.assert(StatusCode::OK);
        assert_eq!(r.json(), expected);
    }
    let mails = app.mails().await;
    assert_eq!(mails.len(), before + 1);
    let mail = mails.last().unwrap();
    assert!(mail.contains("Subject: Reset your MealFrame password"));
    assert!(mail.contains("https://meals.example.org/reset-password?token="));
}

#[tokio::test]
async fn a_reset_sets_the_new_password_and_ends_every_session() {
    let app = TestApp::builder().outbox().build().await;
    let access = app.signup("ana@example.com").await;
    let refresh = app.cookie("refresh_token").unwrap();
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    let token = app.last_mail_token().await;

    let r = app
        .post("/api/v1/auth/reset-password")
        .json(json!({"token": token, "password": "battery staple"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"message": "Password reset successfully. Please log in with your new password."})
    );

    app.post("/api/v1/auth/login")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    app.login("ana@example.com", "battery staple").await;
    app.set_cookie("refresh_token", &refresh, "/api/v1/auth");
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    // Access tokens end with the reset too (the original let them live out their 15 minutes).
    app.get("/api/v1/auth/me")
        .bearer(&access)
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);

    let again = app
        .post("/api/v1/auth/reset-password")
        .json(json!({"token": token, "password": "third password"}))
        .send()
        .await;
    again.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json(),
        json!({"detail": "Invalid or already used reset token"})
    );
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour() {
    let app = TestApp::builder().outbox().build().await;
    app.signup("ana@example.com").await;
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    let token = app.last_mail_token().await;
    app.advance(time::Duration::minutes(61));
    let r = app
        .post("/api/v1/auth/reset-password")
        .json(json!({"token": token, "password": "battery staple"}))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "Reset token has expired. Please request a new one."})
    );
    app.login("ana@example.com", "correct horse").await;
}

#[tokio::test]
async fn a_new_reset_link_retires_the_previous_one_and_short_passwords_are_422() {
    let app = TestApp::builder().outbox().build().await;
    app.signup("ana@example.com").await;
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    let first = app.last_mail_token().await;
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await;
    let second = app.last_mail_token().await;
    app.post("/api/v1/auth/reset-password")
        .json(json!({"token": first, "password": "battery staple"}))
        .send()
        .await
        .assert(StatusCode::BAD_REQUEST);
    let r = app
        .post("/api/v1/auth/reset-password")
        .json(json!({"token": second, "password": "short"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "password"]));
    app.post("/api/v1/auth/reset-password")
        .json(json!({"token": second, "password": "battery staple"}))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn forgot_password_without_mail_sends_nothing_but_still_answers_200() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM email_tokens").await, 0);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_sessions() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let other_device = app.cookie("refresh_token").unwrap();
    let access = app.login("ana@example.com", "correct horse").await;
    let this_device = app.cookie("refresh_token").unwrap();

    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&access)
        .json(json!({"current_password": "wrong", "new_password": "battery staple"}))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.json(), json!({"detail": "Current password is incorrect"}));
    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&access)
        .json(json!({"current_password": "correct horse", "new_password": "short"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);

    app.post("/api/v1/auth/change-password")
        .bearer(&access)
        .json(json!({"current_password": "correct horse", "new_password": "battery staple"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.login("ana@example.com", "battery staple").await;

    app.set_cookie("refresh_token", &other_device, "/api/v1/auth");
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    app.set_cookie("refresh_token", &this_device, "/api/v1/auth");
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::OK);
}
