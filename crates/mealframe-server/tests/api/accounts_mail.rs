//! The SMTP and Resend transports, against fakes on 127.0.0.1.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use crate::helpers::{TestApp, token_in};

#[tokio::test]
async fn the_resend_transport_posts_both_bodies_and_the_link_works() {
    let resend = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/emails"))
        .and(header("authorization", "Bearer re_test_key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "e-1"})))
        .expect(1)
        .mount(&resend)
        .await;
    let uri = resend.uri();
    let app = TestApp::builder()
        .with(move |s| {
            s.resend_api_key = Some("re_test_key".into());
            s.resend_base_url = uri;
            s.mail_from = "MealFrame <meals@example.org>".into();
        })
        .build()
        .await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let sent = &resend.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["to"], json!(["ana@example.com"]));
    assert_eq!(body["from"], "MealFrame <meals@example.org>");
    assert_eq!(body["subject"], "Verify your MealFrame email");
    let token = token_in(body["text"].as_str().unwrap()).unwrap();
    assert!(body["html"].as_str().unwrap().contains(&token));
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn a_failing_mail_provider_does_not_fail_the_request() {
    let resend = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&resend)
        .await;
    let uri = resend.uri();
    let app = TestApp::builder()
        .with(move |s| {
            s.resend_api_key = Some("k".into());
            s.resend_base_url = uri;
        })
        .build()
        .await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await
        .assert(StatusCode::OK);
}

/// A minimal SMTP server that accepts every message and keeps its DATA.
async fn fake_smtp() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake.smtp ESMTP\r\n").await.unwrap();
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push(std::mem::take(&mut data));
                            write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake.smtp\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (format!("smtp://{addr}"), messages)
}

#[tokio::test]
async fn the_smtp_transport_delivers_the_reset_link() {
    let (url, messages) = fake_smtp().await;
    let app = TestApp::builder()
        .with(move |s| s.smtp_url = Some(url))
        .build()
        .await;
    app.post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let verification = messages.lock().unwrap()[0].clone();
    assert!(verification.contains("Subject: Verify your MealFrame email"));
    let token = token_in(&verification).unwrap();
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await
        .assert(StatusCode::OK);

    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let reset = messages.lock().unwrap()[1].clone();
    assert!(reset.contains("Subject: Reset your MealFrame password"));
    let token = token_in(&reset).unwrap();
    app.post("/api/v1/auth/reset-password")
        .json(json!({"token": token, "password": "battery staple"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.login("ana@example.com", "battery staple").await;
}
