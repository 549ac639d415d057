//! Profile settings, logging out everywhere, deleting the account; users are isolated.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn the_time_zone_and_theme_can_be_changed_and_are_validated() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = app
        .patch("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({"timezone": "Europe/Ljubljana", "preferences": {"theme": "light"}}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["timezone"], "Europe/Ljubljana");
    assert_eq!(r.json()["preferences"], json!({"theme": "light"}));
    let me = app
        .get("/api/v1/auth/me")
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(me["timezone"], "Europe/Ljubljana");

    let r = app
        .patch("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({"timezone": "Mars/Olympus"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "timezone"]));
    let r = app
        .patch("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({"preferences": {"theme": "neon", "colour": 1}}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail().as_array().unwrap().len(), 2);
    // An empty patch changes nothing.
    let r = app
        .patch("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.json()["timezone"], "Europe/Ljubljana");
    app.patch("/api/v1/auth/me")
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_all_ends_every_refresh_token() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let a = app.cookie("refresh_token").unwrap();
    let access = app.login("ana@example.com", "correct horse").await;
    let r = app
        .post("/api/v1/auth/logout-all")
        .bearer(&access)
        .send()
        .await;
    r.assert(StatusCode::NO_CONTENT);
    assert_eq!(r.set_cookies().len(), 2);
    app.set_cookie("refresh_token", &a, "/api/v1/auth");
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM refresh_tokens WHERE is_revoked = FALSE"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_removes_every_row() {
    let app = TestApp::new().await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    app.post("/api/v1/auth/login")
        .json(json!({"email": "ana@example.com", "password": "wrong"}))
        .send()
        .await;

    let r = app.delete("/api/v1/auth/me").bearer(&ana).send().await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "Password is required to delete this account"})
    );
    let r = app
        .delete("/api/v1/auth/me")
        .bearer(&ana)
        .json(json!({"password": "nope"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);

    app.delete("/api/v1/auth/me")
        .bearer(&ana)
        .json(json!({"password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM failed_login_attempts").await,
        0
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE u.email_key = 'ana@example.com'").await, 0);
    let r = app.get("/api/v1/auth/me").bearer(&ana).send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "User not found or disabled"}));
    // Bob is untouched, and the address is free again.
    assert_eq!(
        app.get("/api/v1/auth/me").bearer(&bob).send().await.json()["email"],
        "bob@example.com"
    );
    app.signup("ana@example.com").await;
}

#[tokio::test]
async fn each_token_sees_only_its_own_account() {
    let app = TestApp::new().await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    assert_eq!(
        app.get("/api/v1/auth/me").bearer(&ana).send().await.json()["email"],
        "ana@example.com"
    );
    assert_eq!(
        app.get("/api/v1/auth/me").bearer(&bob).send().await.json()["email"],
        "bob@example.com"
    );
    app.patch("/api/v1/auth/me")
        .bearer(&bob)
        .json(json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/auth/me").bearer(&ana).send().await.json()["timezone"],
        "UTC"
    );
}
