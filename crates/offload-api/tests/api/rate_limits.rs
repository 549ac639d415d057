//! Session and AI rate limits (spec §8) with trusted proxies only (deliberate difference 4) and
//! `Retry-After` (difference 5).

use std::net::SocketAddr;

use axum::{body::Body, http::Request};
use serde_json::json;

use crate::support::*;

fn session(install: &str, xff: Option<&str>) -> Request<Body> {
    let mut b = Request::post("/v1/sessions/anonymous").header("content-type", "application/json");
    if let Some(x) = xff {
        b = b.header("x-forwarded-for", x);
    }
    b.body(Body::from(
        json!({"install_id": install, "app_version": "1.0", "platform": "ios"}).to_string(),
    ))
    .unwrap()
}

fn peer(ip: [u8; 4]) -> SocketAddr {
    SocketAddr::from((ip, 5000))
}

#[tokio::test]
async fn sessions_are_limited_per_ip_across_installs() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 2,
        ..s
    })
    .await;
    let ip = peer([198, 51, 100, 1]);
    assert_eq!(
        app.send_from(ip, session("install-a-1", None)).await.status,
        200
    );
    assert_eq!(
        app.send_from(ip, session("install-b-1", None)).await.status,
        200
    );
    let r = app.send_from(ip, session("install-c-1", None)).await;
    r.assert_error(429, "session_rate_limited");
    assert_eq!(
        r.body["error"]["message"],
        "Too many session requests; retry later"
    );
    assert_eq!(r.headers["retry-after"], "60");
    let other = peer([198, 51, 100, 2]);
    assert_eq!(
        app.send_from(other, session("install-c-1", None))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn sessions_are_limited_per_install_across_ips() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_install: 2,
        ..s
    })
    .await;
    for i in 1..=2 {
        assert_eq!(
            app.send_from(peer([10, 0, 0, i]), session(INSTALL, None))
                .await
                .status,
            200
        );
    }
    app.send_from(peer([10, 0, 0, 3]), session(INSTALL, None))
        .await
        .assert_error(429, "session_rate_limited");
}

#[tokio::test]
async fn a_blocked_caller_gets_in_again_after_the_window() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        ..s
    })
    .await;
    assert_eq!(app.session_reply(INSTALL).await.status, 200);
    app.clock.advance(time::Duration::seconds(20));
    let r = app.session_reply(INSTALL).await;
    assert_eq!(
        r.body,
        json!({"error":{"code":"session_rate_limited","message":"Too many session requests; retry later",
                        "request_id": r.headers["x-request-id"].to_str().unwrap()}})
    );
    assert_eq!(r.headers["retry-after"], "40");
    app.clock.advance(time::Duration::seconds(41));
    assert_eq!(app.session_reply(INSTALL).await.status, 200);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        ..s
    })
    .await;
    let ip = peer([203, 0, 113, 50]);
    assert_eq!(
        app.send_from(ip, session("install-a-1", Some("1.1.1.1")))
            .await
            .status,
        200
    );
    app.send_from(ip, session("install-b-1", Some("2.2.2.2")))
        .await
        .assert_error(429, "session_rate_limited");
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        trusted_proxies: "10.0.0.0/8".into(),
        ..s
    })
    .await;
    let proxy = peer([10, 1, 1, 1]);
    assert_eq!(
        app.send_from(proxy, session("install-a-1", Some("1.1.1.1")))
            .await
            .status,
        200
    );
    assert_eq!(
        app.send_from(proxy, session("install-b-1", Some("2.2.2.2")))
            .await
            .status,
        200
    );
    app.send_from(proxy, session("install-c-1", Some("1.1.1.1")))
        .await
        .assert_error(429, "session_rate_limited");
}

#[tokio::test]
async fn ai_calls_are_limited_per_install_across_the_five_routes() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_install: 2,
        ..s
    })
    .await;
    app.provider_answers(fake::braindump(), 1, 1).await;
    let token = app.token().await;
    let uri = "/v1/ai/braindump/compile";
    assert_eq!(
        app.ai(uri, &token, &json!({"input_text":"x"})).await.status,
        200
    );
    app.ai(
        "/v1/ai/communication/draft",
        &token,
        &json!({"input_text":"x","channel":"text"}),
    )
    .await;
    let r = app.ai(uri, &token, &json!({"input_text":"x"})).await;
    r.assert_error(429, "inference_rate_limited");
    assert_eq!(
        r.body["error"]["message"],
        "Too many AI requests; retry later"
    );
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn each_ai_route_is_rate_limited() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_install: 1,
        ..s
    })
    .await;
    app.provider_answers(json!({}), 1, 1).await;
    for (i, (uri, body, _)) in routes().into_iter().enumerate() {
        let token = app.token_for(&format!("install-rl-{i}")).await;
        app.ai(uri, &token, &body).await;
        app.ai(uri, &token, &body)
            .await
            .assert_error(429, "inference_rate_limited");
    }
}

#[tokio::test]
async fn ai_calls_are_limited_per_ip() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_ip: 1,
        ..s
    })
    .await;
    app.provider_answers(fake::braindump(), 1, 1).await;
    let a = app.token_for("install-ip-a").await;
    let b = app.token_for("install-ip-b").await;
    assert_eq!(
        app.ai("/v1/ai/braindump/compile", &a, &json!({"input_text":"x"}))
            .await
            .status,
        200
    );
    app.ai("/v1/ai/braindump/compile", &b, &json!({"input_text":"x"}))
        .await
        .assert_error(429, "inference_rate_limited");
}

#[tokio::test]
async fn reconcile_apple_and_health_do_not_use_the_session_or_ai_limits() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_ip: 1,
        session_issue_limit_per_ip: 2,
        ..s
    })
    .await;
    let token = app.token().await;
    for _ in 0..5 {
        assert_eq!(
            app.reconcile(
                &token,
                &json!({"install_id":INSTALL,"feature":"x","local_count":1})
            )
            .await
            .status,
            200
        );
        assert_eq!(app.get("/v1/health").await.status, 200);
    }
}

#[tokio::test]
async fn rate_limit_windows_never_hold_a_client_address_in_clear() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let ip = peer([198, 51, 100, 77]);
    let r = app.send_from(ip, session(INSTALL, None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.body["session_token"].as_str().unwrap().to_owned();
    let ai = Request::post("/v1/ai/breakdown/generate")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("x-offload-cloud-opt-in", "true")
        .body(Body::from(
            json!({"input_text":"x","granularity":1}).to_string(),
        ))
        .unwrap();
    assert_eq!(app.send_from(ip, ai).await.status, 200);
    let mut reader = app.state.db.reader().await.unwrap();
    let rows: Vec<(String,)> = dbkit::fetch_all!(
        reader.conn(),
        (String,),
        "SELECT bucket FROM rate_limit_windows"
    )
    .unwrap();
    let buckets: Vec<String> = rows.into_iter().map(|(b,)| b).collect();
    assert!(
        buckets.iter().any(|b| b.starts_with("sessions:ip:"))
            && buckets.iter().any(|b| b.starts_with("ai:ip:")),
        "the address dimension was counted: {buckets:?}"
    );
    for bucket in &buckets {
        assert!(
            !bucket.contains("198.51.100.77") && !bucket.contains("198,51,100,77"),
            "client address in clear: {bucket}"
        );
    }
}

#[tokio::test]
async fn one_address_still_shares_one_window_after_hashing() {
    let app = TestApp::with(|s| offload_api::Settings {
        session_issue_limit_per_ip: 1,
        ..s
    })
    .await;
    let ip = peer([198, 51, 100, 78]);
    assert_eq!(
        app.send_from(ip, session("install-a-1", None)).await.status,
        200
    );
    app.send_from(ip, session("install-b-1", None))
        .await
        .assert_error(429, "session_rate_limited");
}
