//! No input produces a 500: hostile bodies, headers and model outputs on every route.

use axum::{body::Body, http::Request};
use serde_json::{Value, json};

use crate::support::*;

fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(0),
        json!(-1),
        json!(1e308),
        json!(18_446_744_073_709_551_615_u64),
        json!(""),
        json!(" "),
        json!("x".repeat(5000)),
        json!("\u{0000}\u{202e}😀"),
        json!([]),
        json!([null]),
        json!({}),
        json!(true),
    ]
}

#[tokio::test]
async fn hostile_bodies_never_produce_a_500() {
    let app = TestApp::new().await;
    app.provider_answers(json!({"anything": "goes"}), 1, 1)
        .await;
    let token = app.token().await;
    let mut targets = routes()
        .into_iter()
        .map(|(uri, body, _)| (uri, body))
        .collect::<Vec<_>>();
    targets.push((
        "/v1/usage/reconcile",
        json!({"install_id":INSTALL,"feature":"breakdown","local_count":1,"since":"2026-01-01"}),
    ));
    targets.push((
        "/v1/sessions/anonymous",
        json!({"install_id":INSTALL,"app_version":"1","platform":"ios"}),
    ));
    targets.push((
        "/v1/auth/apple",
        json!({"apple_identity_token":"x","install_id":INSTALL,"display_name":"n"}),
    ));
    let mut checked = 0;
    for (uri, valid) in targets {
        let keys: Vec<String> = valid.as_object().unwrap().keys().cloned().collect();
        for key in keys {
            for v in odd_values() {
                let mut body = valid.clone();
                body[&key] = v;
                let r = app.ai(uri, &token, &body).await;
                assert!(
                    r.status.as_u16() < 500 || r.code().starts_with("provider_"),
                    "{uri} {key}: {} {}",
                    r.status,
                    r.text
                );
                checked += 1;
            }
        }
        for raw in [
            "",
            "null",
            "[]",
            "\"s\"",
            "1",
            "{",
            "{\"a\":}",
            "\u{feff}{}",
            "{}",
        ] {
            let auth = format!("Bearer {token}");
            let r = app
                .post_raw(
                    uri,
                    &[
                        ("authorization", &auth),
                        ("x-offload-cloud-opt-in", "true"),
                        ("content-type", "application/json"),
                    ],
                    raw,
                )
                .await;
            assert!(r.status.as_u16() < 500, "{uri} {raw:?}: {}", r.text);
        }
        let r = app
            .post_raw(
                uri,
                &[("content-type", "application/json")],
                vec![0xff, 0xfe, b'{'],
            )
            .await;
        assert!(r.status.as_u16() < 500, "{uri} invalid utf-8: {}", r.text);
    }
    assert!(checked > 200);
}

#[tokio::test]
async fn hostile_headers_never_produce_a_500() {
    let app = TestApp::new().await;
    for (name, value) in [
        ("authorization", &b"Bearer \xff\xfe"[..]),
        ("authorization", b"Bearer a.b.c.d"),
        ("x-offload-cloud-opt-in", b"\xfftrue"),
        ("x-request-id", b"\xff\xfe"),
        ("x-forwarded-for", b"not an ip, also not"),
        ("content-type", b"\xff"),
        ("content-length", b"abc"),
    ] {
        let r = app
            .send(
                Request::post("/v1/ai/decide/recommend")
                    .header(name, axum::http::HeaderValue::from_bytes(value).unwrap())
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
        assert!(r.status.as_u16() < 500, "{name}: {}", r.text);
    }
}

#[tokio::test]
async fn odd_model_outputs_are_200_or_502_never_500() {
    let outputs = [
        json!({"steps": "not a list"}),
        json!({"steps": [1, 2, 3]}),
        json!({"steps": [{"title": null}]}),
        json!({"items": [{"title": "a", "type": 7}]}),
        json!({"options": [{"title": "a", "description": "b", "is_recommended": "yes"}], "clarifying_questions": "no"}),
        json!({"options": [], "clarifying_questions": [1]}),
        json!({"detected_challenge": "x", "strategies": [], "encouragement": 5}),
        json!({"detected_challenge": "x".repeat(33), "strategies": [], "encouragement": "e"}),
        json!({"draft_text": 5}),
        json!({"draft_text": "x".repeat(5000), "tone": "t".repeat(100)}),
        json!([1, 2]),
        json!("just a string"),
    ];
    for output in outputs {
        let app = TestApp::new().await;
        app.provider_answers(output.clone(), 1, 1).await;
        let token = app.token().await;
        for (uri, body, _) in routes() {
            let r = app.ai(uri, &token, &body).await;
            assert!(
                r.status == 200 || r.code() == "provider_invalid_response",
                "{uri} with {output}: {}",
                r.text
            );
        }
    }
}

#[tokio::test]
async fn model_outputs_are_truncated_where_the_original_truncates() {
    let app = TestApp::new().await;
    app.provider_answers(
        json!({"draft_text": "d".repeat(2500), "tone": "t".repeat(40)}),
        1,
        1,
    )
    .await;
    let token = app.token().await;
    let r = app
        .ai(
            "/v1/ai/communication/draft",
            &token,
            &json!({"input_text":"x","channel":"text"}),
        )
        .await;
    assert_eq!(r.body["draft_text"].as_str().unwrap().len(), 2000);
    assert_eq!(r.body["tone"].as_str().unwrap().len(), 32);
    app.openai.reset().await;
    let strategy = json!({"strategy_id":"s","challenge_type":"c","title":"t","description":"d","action_prompt":"a"});
    app.provider_answers(
        json!({"detected_challenge":"overwhelm","strategies":[strategy.clone(),strategy.clone(),strategy.clone(),strategy],
               "encouragement":"e".repeat(300)}),
        1,
        1,
    )
    .await;
    let r = app
        .ai(
            "/v1/ai/executive-function/prompt",
            &token,
            &json!({"input_text":"x"}),
        )
        .await;
    assert_eq!(r.body["strategies"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["encouragement"].as_str().unwrap().len(), 280);
    app.openai.reset().await;
    app.provider_answers(
        json!({"options":[],"clarifying_questions":["a","b","c"]}),
        1,
        1,
    )
    .await;
    let r = app
        .ai(
            "/v1/ai/decide/recommend",
            &token,
            &json!({"input_text":"x"}),
        )
        .await;
    assert_eq!(r.body["clarifying_questions"], json!(["a", "b"]));
}
