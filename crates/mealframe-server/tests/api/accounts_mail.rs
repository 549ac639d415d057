//! The SMTP and Resend transports, against fakes on 127.0.0.1.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path},
};

use mealframe_server::mail::outbox::Round;
use mealframe_store::accounts::mail_outbox;

use crate::helpers::{TestApp, count, token_in};

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
    assert_eq!(app.send_queued_mail().await.sent, 1);
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

async fn resend_app(resend: &MockServer) -> TestApp {
    let uri = resend.uri();
    TestApp::builder()
        .with(move |s| {
            s.resend_api_key = Some("k".into());
            s.resend_base_url = uri;
        })
        .build()
        .await
}

async fn pending(app: &TestApp) -> i64 {
    let mut r = app.state.db.reader().await.unwrap();
    mail_outbox::pending(&mut r.conn()).await.unwrap()
}

/// A Resend fake that accepts every message.
async fn accepting_relay() -> MockServer {
    let resend = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "e-1"})))
        .mount(&resend)
        .await;
    resend
}

async fn register(app: &TestApp, email: &str) {
    app.post("/api/v1/auth/register")
        .json(json!({ "email": email, "password": "correct horse" }))
        .send()
        .await
        .assert(StatusCode::CREATED);
}

async fn forgot(app: &TestApp, email: &str) {
    app.post("/api/v1/auth/forgot-password")
        .json(json!({ "email": email }))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn a_relay_outage_delays_mail_but_loses_none() {
    let resend = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&resend)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "e-1"})))
        .mount(&resend)
        .await;
    let app = resend_app(&resend).await;
    // The request answers as usual while the relay is down.
    register(&app, "ana@example.com").await;
    let first = app.send_queued_mail().await;
    assert_eq!((first.sent, first.failed), (0, 1));
    assert_eq!(pending(&app).await, 1, "the failed mail is kept");
    // Not retried before its backoff (30 s), then retried; the second failure doubles it.
    assert_eq!(app.send_queued_mail().await, Round::default());
    app.advance(time::Duration::seconds(31));
    assert_eq!(app.send_queued_mail().await.failed, 1);
    app.advance(time::Duration::seconds(31));
    assert_eq!(app.send_queued_mail().await, Round::default());
    app.advance(time::Duration::seconds(30));
    assert_eq!(app.send_queued_mail().await.sent, 1);
    assert_eq!(pending(&app).await, 0, "a sent mail is not kept");
    let requests = resend.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let body: serde_json::Value = serde_json::from_slice(&requests[2].body).unwrap();
    let token = token_in(body["text"].as_str().unwrap()).unwrap();
    app.post("/api/v1/auth/verify-email")
        .json(json!({ "token": token }))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn no_request_touches_the_relay_so_known_and_unknown_addresses_answer_alike() {
    let resend = accepting_relay().await;
    let app = resend_app(&resend).await;
    register(&app, "ana@example.com").await;
    forgot(&app, "ana@example.com").await;
    forgot(&app, "nobody@example.com").await;
    app.post("/api/v1/auth/resend-verification")
        .json(json!({"email": "ana@example.com"}))
        .send()
        .await
        .assert(StatusCode::OK);
    assert!(resend.received_requests().await.unwrap().is_empty());
    // Each of the three requests only recorded the address it was given, known or not.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM mail_requests").await, 3);
    // Resolved in the background: a reset for Ana, a fresh verification link that replaces the
    // unsent first one, nothing for the unknown address.
    assert_eq!(app.send_queued_mail().await.sent, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM mail_requests").await, 0);
    let subjects: Vec<String> = resend
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["to"], json!(["ana@example.com"]));
            body["subject"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(subjects.contains(&"Reset your MealFrame password".to_owned()));
    assert!(subjects.contains(&"Verify your MealFrame email".to_owned()));
}

#[tokio::test]
async fn a_request_does_not_wait_for_a_relay_that_never_answers() {
    // Accepts connections and never says a word: an SMTP send would hang until its timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = TestApp::builder()
        .with(move |s| s.smtp_url = Some(url))
        .build()
        .await;
    let requests = async {
        register(&app, "ana@example.com").await;
        forgot(&app, "ana@example.com").await;
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), requests)
        .await
        .expect("the requests answered without waiting on the relay");
    assert_eq!(
        pending(&app).await,
        1,
        "the verification mail waits for the relay"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM mail_requests").await, 1);
}

#[tokio::test]
async fn mail_whose_link_expired_unsent_is_dropped() {
    let resend = accepting_relay().await;
    let app = resend_app(&resend).await;
    register(&app, "ana@example.com").await;
    // The verification link lives 24 hours; nothing sent it in that time.
    app.advance(time::Duration::hours(25));
    assert_eq!(app.send_queued_mail().await, Round::default());
    assert!(resend.received_requests().await.unwrap().is_empty());
    mealframe_server::jobs::housekeeping_once(&app.state)
        .await
        .unwrap();
    assert_eq!(pending(&app).await, 0);
}

#[tokio::test]
async fn two_instances_send_each_queued_message_once() {
    let resend = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "e"}))
                .set_delay(std::time::Duration::from_millis(20)),
        )
        .mount(&resend)
        .await;
    let app = resend_app(&resend).await;
    for n in 0..12 {
        register(&app, &format!("user{n}@example.com")).await;
    }
    let other = app.another_instance();
    let (a, b) = tokio::join!(
        mealframe_server::mail::outbox::send_due(&app.state),
        mealframe_server::mail::outbox::send_due(&other)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 12);
    let mut recipients: Vec<String> = resend
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            body["to"][0].as_str().unwrap().to_owned()
        })
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 12, "every message once, none twice");
    assert_eq!(resend.received_requests().await.unwrap().len(), 12);
    assert_eq!(pending(&app).await, 0);
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
    register(&app, "ana@example.com").await;
    app.send_queued_mail().await;
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
    app.send_queued_mail().await;
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
