//! Access tokens (JWT) and refresh-token rotation, reuse detection and logout.

use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::TestApp;

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn me_returns_the_callers_profile_and_never_the_hash() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = app.get("/api/v1/auth/me").bearer(&token).send().await;
    r.assert(StatusCode::OK);
    let me = r.json();
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["auth_provider"], "email");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["timezone"], "UTC");
    assert!(me["created_at"].as_str().unwrap().ends_with("+00:00"));
    assert!(me.get("password_hash").is_none());
    assert!(!r.text().contains("argon2"));
}

#[tokio::test]
async fn missing_or_malformed_credentials_are_401_with_www_authenticate() {
    let app = TestApp::new().await;
    for header in [None, Some("Basic abc"), Some("Bearer"), Some("Bearer   ")] {
        let mut req = app.get("/api/v1/auth/me");
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let r = req.send().await;
        r.assert(StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.json(),
            json!({"detail": "Not authenticated"}),
            "{header:?}"
        );
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn tampered_expired_or_foreign_tokens_are_refused() {
    let app = TestApp::new().await;
    let good = app.signup("ana@example.com").await;
    let me = app.get("/api/v1/auth/me").bearer(&good).send().await.json();
    let sub = me["id"].as_str().unwrap();
    let now = app.state.now().unix_seconds();
    let claims = |typ: &str, exp: i64| json!({"sub": sub, "email": "ana@example.com", "type": typ, "iat": now, "exp": exp});

    let wrong_key = sign(claims("access", now + 900), "another-secret");
    let refresh_type = sign(claims("refresh", now + 900), "test-jwt-secret");
    let expired = sign(claims("access", now - 1), "test-jwt-secret");
    let no_sub = sign(
        json!({"email": "x", "type": "access", "iat": now, "exp": now + 900}),
        "test-jwt-secret",
    );
    let bad_sub = sign(
        json!({"sub": "not-a-uuid", "email": "x", "type": "access", "iat": now, "exp": now + 900}),
        "test-jwt-secret",
    );
    // alg "none": header {"alg":"none"}, the same claims, no signature.
    let b64 = |v: serde_json::Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(claims("access", now + 900))
    );
    let mut flipped = good.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });

    for token in [
        wrong_key,
        refresh_type,
        expired,
        no_sub,
        bad_sub,
        alg_none,
        flipped,
        "garbage".into(),
    ] {
        let r = app.get("/api/v1/auth/me").bearer(&token).send().await;
        r.assert(StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.json(),
            json!({"detail": "Invalid or expired token"}),
            "token {token}"
        );
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    }

    // A real token runs out after 15 minutes.
    app.advance(time::Duration::minutes(16));
    app.get("/api/v1/auth/me")
        .bearer(&good)
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_of_a_deleted_user_is_refused() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let unknown = sign(
        json!({"sub": uuid::Uuid::new_v4().to_string(), "email": "x", "type": "access", "iat": app.state.now().unix_seconds(), "exp": app.state.now().unix_seconds() + 900}),
        "test-jwt-secret",
    );
    let r = app.get("/api/v1/auth/me").bearer(&unknown).send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "User not found or disabled"}));
    app.get("/api/v1/auth/me")
        .bearer(&token)
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_the_cookie_and_the_old_one_stops_working() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let first = app.cookie("refresh_token").unwrap();
    let r = app.post("/api/v1/auth/refresh").send().await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["token_type"], "bearer");
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/auth/me")
        .bearer(&access)
        .send()
        .await
        .assert(StatusCode::OK);
    let second = app.cookie("refresh_token").unwrap();
    assert_ne!(first, second);
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn presenting_a_rotated_refresh_token_again_revokes_every_session_of_the_user() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let laptop = app.cookie("refresh_token").unwrap();
    app.login("ana@example.com", "correct horse").await;
    let phone = app.cookie("refresh_token").unwrap();

    app.set_cookie("refresh_token", &laptop, "/api/v1/auth");
    let access = app.post("/api/v1/auth/refresh").send().await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let laptop_rotated = app.cookie("refresh_token").unwrap();

    // The stolen, already rotated token is replayed (later than tabs refreshing at once would):
    app.advance(time::Duration::seconds(11));
    app.set_cookie("refresh_token", &laptop, "/api/v1/auth");
    let r = app.post("/api/v1/auth/refresh").send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "Invalid refresh token"}));

    for token in [laptop_rotated, phone] {
        app.set_cookie("refresh_token", &token, "/api/v1/auth");
        app.post("/api/v1/auth/refresh")
            .send()
            .await
            .assert(StatusCode::UNAUTHORIZED);
    }
    // Access tokens end at once too.
    app.get("/api/v1/auth/me")
        .bearer(&access)
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tabs_refreshing_one_cookie_at_once_stay_signed_in() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let cookie = app.cookie("refresh_token").unwrap();
    // Four tabs restore the session with the same cookie at the same moment.
    let refreshes = (0..4).map(|_| {
        app.post("/api/v1/auth/refresh")
            .no_cookies()
            .header("cookie", &format!("refresh_token={cookie}"))
            .send()
    });
    let answers = futures::future::join_all(refreshes).await;
    let mut rotated = 0;
    for r in &answers {
        r.assert(StatusCode::OK);
        let token = r.json()["access_token"].as_str().unwrap().to_owned();
        app.get("/api/v1/auth/me")
            .bearer(&token)
            .send()
            .await
            .assert(StatusCode::OK);
        if r.set_cookies()
            .iter()
            .any(|c| c.starts_with("refresh_token="))
        {
            rotated += 1;
        }
    }
    assert_eq!(
        rotated, 1,
        "one tab rotates; the others keep the new cookie"
    );
    // Nothing was revoked: the successor still refreshes.
    let winner = answers
        .iter()
        .flat_map(|r| r.set_cookies())
        .find_map(|c| {
            c.strip_prefix("refresh_token=")
                .map(|v| v.split(';').next().unwrap().to_owned())
        })
        .unwrap();
    app.set_cookie("refresh_token", &winner, "/api/v1/auth");
    app.advance(time::Duration::seconds(30));
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn refresh_errors_use_the_original_messages() {
    let app = TestApp::new().await;
    let r = app.post("/api/v1/auth/refresh").send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "No refresh token provided"}));

    app.set_cookie("refresh_token", "made-up", "/api/v1/auth");
    let r = app.post("/api/v1/auth/refresh").send().await;
    assert_eq!(r.json(), json!({"detail": "Invalid refresh token"}));

    app.signup("ana@example.com").await;
    app.advance(time::Duration::days(8));
    let r = app.post("/api/v1/auth/refresh").send().await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"detail": "Refresh token expired"}));
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_clears_the_cookie() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    let token = app.cookie("refresh_token").unwrap();
    let r = app.post("/api/v1/auth/logout").send().await;
    r.assert(StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());
    let cleared = &r.set_cookies()[0];
    assert!(
        cleared.starts_with("refresh_token=\"\"; expires="),
        "{cleared}"
    );
    assert!(
        cleared.ends_with("; HttpOnly; Max-Age=0; Path=/api/v1/auth; SameSite=lax; Secure"),
        "{cleared}"
    );
    app.set_cookie("refresh_token", &token, "/api/v1/auth");
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);

    app.clear_cookies();
    app.post("/api/v1/auth/logout")
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
}
