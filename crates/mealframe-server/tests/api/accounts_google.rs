//! Google sign-in against a fake OpenID provider on 127.0.0.1.

use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{TestApp, count};

const CLIENT_ID: &str = "test-client.apps.example";

async fn fake_issuer() -> MockServer {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": uri,
            "authorization_endpoint": format!("{uri}/o/oauth2/v2/auth"),
            "token_endpoint": format!("{uri}/token"),
            "jwks_uri": format!("{uri}/certs"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/certs"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            include_str!("../fixtures/oidc_test_jwks.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

async fn app_with_google(issuer: &MockServer) -> TestApp {
    let uri = issuer.uri();
    TestApp::builder()
        .with(move |s| {
            s.google_client_id = Some(CLIENT_ID.into());
            s.google_client_secret = Some("shh".into());
            s.google_issuer_url = uri;
        })
        .build()
        .await
}

fn id_token(issuer: &str, sub: &str, email: &str, verified: bool, nonce: &str) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": issuer, "aud": CLIENT_ID, "sub": sub, "email": email, "email_verified": verified,
        "nonce": nonce, "iat": now, "exp": now + 300,
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let key = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/oidc_test_key.pem")).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn answer_token_exchange(issuer: &MockServer, id_token: String) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "provider-access", "token_type": "Bearer", "id_token": id_token})))
        .up_to_n_times(1)
        .mount(issuer)
        .await;
}

/// Start the flow; returns the query parameters of the redirect to the provider.
async fn authorize(app: &TestApp) -> std::collections::HashMap<String, String> {
    let r = app.get("/api/v1/auth/google/authorize").send().await;
    r.assert(StatusCode::FOUND);
    let location = reqwest::Url::parse(r.header("location").unwrap()).unwrap();
    assert!(location.path().ends_with("/o/oauth2/v2/auth"));
    location.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn google_is_disabled_without_client_credentials() {
    let app = TestApp::new().await;
    assert_eq!(
        app.get("/api/v1/auth/google/enabled").send().await.json(),
        json!({"enabled": false})
    );
    let r = app.get("/api/v1/auth/google/authorize").send().await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": "Google OAuth is not configured"})
    );
}

#[tokio::test]
async fn google_sign_in_creates_an_account_and_ends_in_session_cookies_without_tokens_in_urls() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    assert_eq!(
        app.get("/api/v1/auth/google/enabled").send().await.json(),
        json!({"enabled": true})
    );

    let q = authorize(&app).await;
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(
        q["redirect_uri"],
        "https://meals.example.org/api/v1/auth/google/callback"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(!q["state"].is_empty() && !q["nonce"].is_empty());

    answer_token_exchange(
        &issuer,
        id_token(
            &issuer.uri(),
            "google-sub-1",
            "Gina@Example.com",
            true,
            &q["nonce"],
        ),
    )
    .await;
    let r = app
        .get(&format!(
            "/api/v1/auth/google/callback?code=the-code&state={}",
            q["state"]
        ))
        .send()
        .await;
    r.assert(StatusCode::FOUND);
    assert_eq!(
        r.header("location"),
        Some("https://meals.example.org/oauth/callback")
    );
    let cookies = r.set_cookies();
    assert!(
        cookies.iter().any(|c| c.starts_with("mf_session=")
            && c.contains("HttpOnly")
            && c.contains("Path=/;"))
    );
    assert!(cookies.iter().any(|c| c.starts_with("refresh_token=")));

    // PKCE: the verifier sent to the token endpoint matches the challenge.
    let exchange = issuer
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == "/token")
        .unwrap();
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&exchange.body)
        .into_owned()
        .collect();
    use base64::Engine as _;
    use sha2::Digest as _;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(form["code_verifier"].as_bytes()));
    assert_eq!(challenge, q["code_challenge"]);
    assert_eq!(form["code"], "the-code");

    // The session cookie signs API requests in.
    let me = app.get("/api/v1/auth/me").send().await;
    me.assert(StatusCode::OK);
    assert_eq!(me.json()["email"], "Gina@example.com");
    assert_eq!(me.json()["auth_provider"], "google");
    assert_eq!(me.json()["has_password"], false);
    // So does the refresh cookie.
    app.post("/api/v1/auth/refresh")
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn a_state_is_single_use_and_must_be_known() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(&issuer.uri(), "sub-2", "g@example.com", true, &q["nonce"]),
    )
    .await;
    let url = format!("/api/v1/auth/google/callback?code=c&state={}", q["state"]);
    app.get(&url).send().await.assert(StatusCode::FOUND);
    let r = app.get(&url).send().await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.json(), json!({"detail": "Invalid OAuth state parameter"}));
    let r = app
        .get("/api/v1/auth/google/callback?code=c&state=forged")
        .send()
        .await;
    assert_eq!(r.json(), json!({"detail": "Invalid OAuth state parameter"}));
    let r = app.get("/api/v1/auth/google/callback?code=c").send().await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["query", "state"]));
}

#[tokio::test]
async fn a_wrong_nonce_or_a_failed_exchange_redirects_with_an_error() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(
            &issuer.uri(),
            "sub-3",
            "g@example.com",
            true,
            "another-nonce",
        ),
    )
    .await;
    let r = app
        .get(&format!(
            "/api/v1/auth/google/callback?code=c&state={}",
            q["state"]
        ))
        .send()
        .await;
    r.assert(StatusCode::FOUND);
    assert_eq!(
        r.header("location"),
        Some("https://meals.example.org/oauth/callback?error=exchange_failed")
    );
    assert!(r.set_cookies().is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 0);

    let issuer2 = fake_issuer().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&issuer2)
        .await;
    let app2 = app_with_google(&issuer2).await;
    let q = authorize(&app2).await;
    let r = app2
        .get(&format!(
            "/api/v1/auth/google/callback?code=bad&state={}",
            q["state"]
        ))
        .send()
        .await;
    assert_eq!(
        r.header("location"),
        Some("https://meals.example.org/oauth/callback?error=exchange_failed")
    );
}

#[tokio::test]
async fn an_existing_account_is_linked_only_when_google_has_verified_the_address() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    let password_token = app.signup("ana@example.com").await;

    // Google does not vouch for the address: no takeover of the password account.
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(
            &issuer.uri(),
            "attacker-sub",
            "ANA@example.com",
            false,
            &q["nonce"],
        ),
    )
    .await;
    app.clear_cookies();
    let r = app
        .get(&format!(
            "/api/v1/auth/google/callback?code=c&state={}",
            q["state"]
        ))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "Google account email is not verified"})
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE google_sub IS NOT NULL"
        )
        .await,
        0
    );

    // With a verified address it links (the account keeps its password and provider).
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(
            &issuer.uri(),
            "ana-sub",
            "ana@example.com",
            true,
            &q["nonce"],
        ),
    )
    .await;
    app.get(&format!(
        "/api/v1/auth/google/callback?code=c&state={}",
        q["state"]
    ))
    .send()
    .await
    .assert(StatusCode::FOUND);
    let me = app.get("/api/v1/auth/me").send().await.json();
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["auth_provider"], "email");
    assert_eq!(me["has_password"], true);
    assert_eq!(
        app.get("/api/v1/auth/me")
            .bearer(&password_token)
            .send()
            .await
            .json()["id"],
        me["id"]
    );

    // The next Google sign-in finds the account by its Google subject.
    app.clear_cookies();
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(
            &issuer.uri(),
            "ana-sub",
            "renamed@example.com",
            true,
            &q["nonce"],
        ),
    )
    .await;
    app.get(&format!(
        "/api/v1/auth/google/callback?code=c&state={}",
        q["state"]
    ))
    .send()
    .await
    .assert(StatusCode::FOUND);
    assert_eq!(
        app.get("/api/v1/auth/me").send().await.json()["id"],
        me["id"]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn a_disabled_account_is_redirected_with_account_disabled() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(&issuer.uri(), "sub-9", "dis@example.com", true, &q["nonce"]),
    )
    .await;
    app.get(&format!(
        "/api/v1/auth/google/callback?code=c&state={}",
        q["state"]
    ))
    .send()
    .await
    .assert(StatusCode::FOUND);
    let me: Value = app.get("/api/v1/auth/me").send().await.json();
    let id = me["id"].as_str().unwrap().parse().unwrap();
    let mut tx = app.state.db.begin().await.unwrap();
    mealframe_store::accounts::users::set_active(&mut tx.conn(), id, false, app.state.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    app.clear_cookies();
    let q = authorize(&app).await;
    answer_token_exchange(
        &issuer,
        id_token(&issuer.uri(), "sub-9", "dis@example.com", true, &q["nonce"]),
    )
    .await;
    let r = app
        .get(&format!(
            "/api/v1/auth/google/callback?code=c&state={}",
            q["state"]
        ))
        .send()
        .await;
    r.assert(StatusCode::FOUND);
    assert_eq!(
        r.header("location"),
        Some("https://meals.example.org/oauth/callback?error=account_disabled")
    );
    assert!(r.set_cookies().is_empty());
}

/// Security review row 4: "signed in recently" is the time of the Google sign-in, which refreshing
/// does not renew, so an old refresh token cannot delete the account or set a password.
#[tokio::test]
async fn refreshing_does_not_count_as_signing_in_again_for_a_google_account() {
    let issuer = fake_issuer().await;
    let app = app_with_google(&issuer).await;
    let sign_in = || async {
        let q = authorize(&app).await;
        answer_token_exchange(
            &issuer,
            id_token(&issuer.uri(), "sub-4", "gus@example.com", true, &q["nonce"]),
        )
        .await;
        app.get(&format!(
            "/api/v1/auth/google/callback?code=c&state={}",
            q["state"]
        ))
        .send()
        .await
        .assert(StatusCode::FOUND);
        // Keep the refresh cookie only: the API client's way of staying signed in.
        let refresh = app.cookie("refresh_token").unwrap();
        app.clear_cookies();
        app.set_cookie("refresh_token", &refresh, "/api/v1/auth");
    };
    let refresh = || async {
        let r = app.post("/api/v1/auth/refresh").send().await;
        r.assert(StatusCode::OK);
        r.json()["access_token"].as_str().unwrap().to_owned()
    };

    sign_in().await;
    let mut token = refresh().await;
    for _ in 0..6 {
        app.advance(time::Duration::days(1));
        token = refresh().await;
    }
    let r = app
        .delete("/api/v1/auth/me")
        .bearer(&token)
        .json(json!({}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&token)
        .json(json!({"current_password": "", "new_password": "locked out now"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    app.get("/api/v1/auth/me")
        .bearer(&token)
        .send()
        .await
        .assert(StatusCode::OK);

    // Signed in again just now: the same calls are allowed.
    sign_in().await;
    let token = refresh().await;
    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&token)
        .json(json!({"current_password": "", "new_password": "a password now"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    let renewed = r.json()["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/auth/me")
        .bearer(&renewed)
        .send()
        .await
        .assert(StatusCode::OK);
}
