//! Sign in with Apple against a local JWKS (a wiremock server) and a test RSA key.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::support::*;

const KEY_PEM: &str = include_str!("../fixtures/apple_test_key.pem");
const MODULUS_HEX: &str = include_str!("../fixtures/apple_test_key.modulus.hex");
const KID: &str = "test-apple-key";

fn jwks() -> Value {
    let n = hex::decode(MODULUS_HEX.trim()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    json!({"keys":[{"kty":"RSA","kid":KID,"use":"sig","alg":"RS256",
                    "n": b64.encode(n), "e": b64.encode([1u8, 0, 1])}]})
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn apple_token(claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(KEY_PEM.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn valid_claims(sub: &str) -> Value {
    json!({"iss":"https://appleid.apple.com","aud":"wc.Offload","sub":sub,
           "iat":now(),"exp":now()+600})
}

async fn apple_app() -> (TestApp, MockServer) {
    let jwks_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks()))
        .mount(&jwks_server)
        .await;
    let url = format!("{}/auth/keys", jwks_server.uri());
    let app = TestApp::with(move |s| offload_api::Settings {
        apple_jwks_url: url,
        ..s
    })
    .await;
    (app, jwks_server)
}

async fn sign_in(app: &TestApp, token: &str, install: &str) -> Reply {
    app.post(
        "/v1/auth/apple",
        &[],
        &json!({"apple_identity_token": token, "install_id": install}),
    )
    .await
}

#[tokio::test]
async fn a_valid_apple_token_yields_a_session_with_a_user_id() {
    let (app, _jwks) = apple_app().await;
    let r = sign_in(&app, &apple_token(valid_claims("apple-sub-1")), INSTALL).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user_id"].as_str().unwrap().len(), 36);
    assert_eq!(r.body["expires_at"], "2026-02-16T12:02:00Z");
    let session = app
        .state
        .tokens
        .verify(r.body["session_token"].as_str().unwrap(), app.clock_now())
        .unwrap();
    assert_eq!(session.install_id.as_str(), INSTALL);
    assert_eq!(session.user_id.as_deref(), r.body["user_id"].as_str());
    // the Apple session works on protected routes
    let r = app
        .reconcile(
            r.body["session_token"].as_str().unwrap(),
            &json!({"install_id":INSTALL,"feature":"breakdown","local_count":1}),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn the_same_apple_user_from_two_installs_keeps_one_user_id() {
    let (app, _jwks) = apple_app().await;
    let token = apple_token(valid_claims("apple-sub-2"));
    let first = sign_in(&app, &token, "install-one-1").await;
    let second = app
        .post(
            "/v1/auth/apple",
            &[],
            &json!({"apple_identity_token": token, "install_id": "install-two-2", "display_name": "Sam"}),
        )
        .await;
    assert_eq!(first.body["user_id"], second.body["user_id"]);
    let user = offload_api::store::users::find_by_apple_id(&app.state.db, "apple-sub-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.install_id, "install-two-2");
    assert_eq!(user.display_name.as_deref(), Some("Sam"));
    sign_in(&app, &token, "install-three-3").await;
    let user = offload_api::store::users::find_by_apple_id(&app.state.db, "apple-sub-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        user.display_name.as_deref(),
        Some("Sam"),
        "null keeps the name"
    );
}

#[tokio::test]
async fn bad_apple_tokens_are_refused() {
    let (app, _jwks) = apple_app().await;
    let expired = apple_token(json!({"iss":"https://appleid.apple.com","aud":"wc.Offload",
        "sub":"s","iat":now()-1200,"exp":now()-600}));
    let wrong_aud = apple_token(json!({"iss":"https://appleid.apple.com","aud":"com.other",
        "sub":"s","iat":now(),"exp":now()+600}));
    let wrong_iss = apple_token(json!({"iss":"https://evil.example","aud":"wc.Offload",
        "sub":"s","iat":now(),"exp":now()+600}));
    let no_sub = apple_token(json!({"iss":"https://appleid.apple.com","aud":"wc.Offload",
        "iat":now(),"exp":now()+600}));
    let empty_sub = apple_token(valid_claims(""));
    let mut tampered = apple_token(valid_claims("victim"));
    tampered.push('A');
    for token in [
        expired.as_str(),
        wrong_aud.as_str(),
        wrong_iss.as_str(),
        no_sub.as_str(),
        empty_sub.as_str(),
        tampered.as_str(),
        "not-a-jwt",
    ] {
        let r = sign_in(&app, token, INSTALL).await;
        r.assert_error(401, "invalid_apple_token");
        assert_eq!(
            r.body["error"]["message"],
            "Apple identity token validation failed"
        );
    }
}

#[tokio::test]
async fn an_unreachable_jwks_is_an_invalid_apple_token() {
    let app = TestApp::with(|s| offload_api::Settings {
        apple_jwks_url: "http://127.0.0.1:9/keys".into(),
        ..s
    })
    .await;
    sign_in(&app, &apple_token(valid_claims("x")), INSTALL)
        .await
        .assert_error(401, "invalid_apple_token");
}

#[tokio::test]
async fn apple_bodies_are_validated_before_the_token() {
    let (app, jwks) = apple_app().await;
    for body in [
        json!({"apple_identity_token": "x"}),
        json!({"apple_identity_token": "", "install_id": INSTALL}),
        json!({"apple_identity_token": "x", "install_id": INSTALL, "display_name": "n".repeat(129)}),
    ] {
        app.post("/v1/auth/apple", &[], &body)
            .await
            .assert_error(422, "validation_error");
    }
    assert!(jwks.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_user_store_keeps_one_id_per_apple_user() {
    use offload_api::store::users;
    let app = TestApp::new().await;
    let db = &app.state.db;
    let a = users::upsert_apple_user(db, "sub-a", "install-1111", None)
        .await
        .unwrap();
    let b = users::upsert_apple_user(db, "sub-b", "install-2222", Some("B"))
        .await
        .unwrap();
    assert_eq!(a.len(), 36);
    assert_ne!(a, b);
    let found = users::find_by_apple_id(db, "sub-a").await.unwrap().unwrap();
    assert_eq!(found.user_id, a);
    assert_eq!(found.display_name, None);
    assert!(
        users::find_by_apple_id(db, "nobody")
            .await
            .unwrap()
            .is_none()
    );
}
