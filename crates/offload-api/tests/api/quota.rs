//! The shared quota pool (spec §5.1) and its atomic enforcement (deliberate difference 2).

use serde_json::json;

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";

fn body() -> serde_json::Value {
    json!({"input_text":"x","granularity":1})
}

#[tokio::test]
async fn ten_prior_breakdowns_exhaust_a_quota_of_ten() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 10).await;
    let token = app.token().await;
    let r = app.ai(BREAKDOWN, &token, &body()).await;
    r.assert_error(429, "quota_exceeded");
    assert_eq!(
        r.body["error"]["message"],
        "Monthly AI action limit reached."
    );
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(app.provider_calls().await, 0);
}

#[tokio::test]
async fn nine_prior_breakdowns_leave_one_call_and_the_total_becomes_ten() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 9).await;
    let token = app.token().await;
    assert_eq!(app.ai(BREAKDOWN, &token, &body()).await.status, 200);
    assert_eq!(app.count("breakdown").await, 10);
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn the_pool_sums_braindump_and_decide_too() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("braindump", 6).await;
    app.preload("decide", 4).await;
    let token = app.token().await;
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn execfunction_and_draft_are_gated_by_the_pool_but_not_counted_in_it() {
    let app = TestApp::new().await;
    app.provider_answers(fake::draft(), 1, 1).await;
    let token = app.token().await;
    for _ in 0..3 {
        let r = app
            .ai(
                "/v1/ai/communication/draft",
                &token,
                &json!({"input_text":"x","channel":"text"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(app.count("draft").await, 3);
    app.preload("breakdown", 10).await;
    app.ai(
        "/v1/ai/communication/draft",
        &token,
        &json!({"input_text":"x","channel":"text"}),
    )
    .await
    .assert_error(429, "quota_exceeded");
    app.ai(
        "/v1/ai/executive-function/prompt",
        &token,
        &json!({"input_text":"x"}),
    )
    .await
    .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn quotas_are_per_install() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 10).await;
    let other = app.token_for("another-install-1").await;
    assert_eq!(app.ai(BREAKDOWN, &other, &body()).await.status, 200);
}

#[tokio::test]
async fn quota_is_enforced_atomically_under_concurrency() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_inference_limit_per_install: 1000,
        ai_inference_limit_per_ip: 1000,
        ..s
    })
    .await;
    app.provider_replies(openai_reply(&fake::breakdown().to_string(), 1, 1).set_delay(ms(50)))
        .await;
    let token = app.token().await;
    let app = std::sync::Arc::new(app);
    let calls: Vec<_> = (0..30)
        .map(|_| {
            let app = app.clone();
            let token = token.clone();
            tokio::spawn(async move { app.ai(BREAKDOWN, &token, &body()).await })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for c in calls {
        let r = c.await.unwrap();
        match (r.status.as_u16(), r.code()) {
            (200, _) => ok += 1,
            // Refused while the pool was full of calls in flight, or after they were counted.
            (503, "quota_busy") | (429, "quota_exceeded") => refused += 1,
            (s, code) => panic!("unexpected {s} {code}: {}", r.text),
        }
    }
    assert_eq!((ok, refused), (10, 20));
    assert_eq!(app.count("breakdown").await, 10);
}

#[tokio::test]
async fn failed_provider_calls_give_their_reservation_back() {
    let app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 1,
        ..s
    })
    .await;
    app.provider_replies(wiremock::ResponseTemplate::new(500))
        .await;
    let token = app.token().await;
    for _ in 0..3 {
        app.ai(BREAKDOWN, &token, &body())
            .await
            .assert_error(502, "provider_request_failed");
    }
    assert_eq!(app.count("breakdown").await, 0);
    app.openai.reset().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    assert_eq!(app.ai(BREAKDOWN, &token, &body()).await.status, 200);
}

#[tokio::test]
async fn a_quota_of_zero_refuses_every_ai_call() {
    let app = TestApp::with(|s| offload_api::Settings {
        default_feature_quota: 0,
        ..s
    })
    .await;
    let token = app.token().await;
    for (uri, body, _) in routes() {
        app.ai(uri, &token, &body)
            .await
            .assert_error(429, "quota_exceeded");
    }
}

#[tokio::test]
async fn a_monthly_quota_restarts_with_the_utc_month() {
    let app = TestApp::with(|s| offload_api::Settings {
        quota_period: "monthly".into(),
        ..s
    })
    .await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 10).await;
    let token = app.token().await;
    let r = app.ai(BREAKDOWN, &token, &body()).await;
    r.assert_error(429, "quota_exceeded");
    // 2026-02-16 12:00 → the quota resets at 2026-03-01T00:00Z
    assert_eq!(
        r.headers["retry-after"],
        (12 * 86_400 + 12 * 3600).to_string()
    );
    app.clock
        .set(time::macros::datetime!(2026-03-01 00:00:30 UTC));
    let token = app.token().await;
    let r = app.ai(BREAKDOWN, &token, &body()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.count("breakdown").await, 1);
}

#[tokio::test]
async fn lifetime_quota_never_resets() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 10).await;
    app.clock.set(time::macros::datetime!(2027-06-01 00:00 UTC));
    let token = app.token().await;
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(429, "quota_exceeded");
}

/// Reserve one breakdown unit the way an AI call does, and never give it back (the process
/// running the call died).
async fn leave_a_reservation_behind(app: &TestApp) {
    use offload_api::{
        model::ids::{Feature, InstallId},
        store::usage::{self, Period},
    };
    use platform::clock::Clock;
    let now = app.clock.now();
    let period = Period::at(app.state.config.quota_period, now);
    let install = InstallId::parse(INSTALL).unwrap();
    let held = usage::reserve(
        &app.state.db,
        &install,
        &period,
        Feature::Breakdown,
        app.state.config.quota,
        now.into(),
        usage::expiry(now, app.state.config.reservation_ttl).into(),
    )
    .await
    .unwrap();
    assert!(
        matches!(held, usage::Reserved::Held(_)),
        "the pool had room"
    );
}

async fn reservations_left(app: &TestApp) -> i64 {
    let mut reader = app.state.db.reader().await.unwrap();
    dbkit::fetch_scalar!(
        reader.conn(),
        i64,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM quota_reservations"
    )
    .unwrap()
}

#[tokio::test]
async fn reservations_expire_after_the_provider_budget_with_a_margin() {
    let app = TestApp::with(|s| offload_api::Settings {
        ai_request_budget_seconds: 25.0,
        openai_timeout_seconds: 20.0,
        ai_retry_max_attempts: 3,
        ..s
    })
    .await;
    // 25 s budget (less than 3 × 20 s + sleeps) plus one minute.
    assert_eq!(
        app.state.config.reservation_ttl,
        std::time::Duration::from_secs(85)
    );
    let unbounded = TestApp::with(|s| offload_api::Settings {
        ai_request_budget_seconds: 0.0,
        openai_timeout_seconds: 20.0,
        ai_retry_max_attempts: 3,
        ai_retry_max_total_delay_seconds: 4.0,
        ..s
    })
    .await;
    // No budget: every attempt's timeout plus the sleep budget, plus one minute.
    assert_eq!(
        unbounded.state.config.reservation_ttl,
        std::time::Duration::from_secs(124)
    );
}

#[tokio::test]
async fn a_unit_held_by_a_call_that_never_finished_is_free_again_after_its_expiry() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    app.preload("breakdown", 9).await;
    leave_a_reservation_behind(&app).await;
    // The last unit is held, not used: retry, not "limit reached".
    let token = app.token().await;
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(503, "quota_busy");

    let ttl = time::Duration::try_from(app.state.config.reservation_ttl).unwrap();
    app.clock.advance(ttl - time::Duration::seconds(1));
    let token = app.token().await;
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(503, "quota_busy");

    app.clock.advance(time::Duration::seconds(1));
    let token = app.token().await;
    let r = app.ai(BREAKDOWN, &token, &body()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.count("breakdown").await, 10, "the user is charged once");
    assert_eq!(reservations_left(&app).await, 0, "expired and settled");
    app.ai(BREAKDOWN, &token, &body())
        .await
        .assert_error(429, "quota_exceeded");
}

#[tokio::test]
async fn settled_and_failed_calls_leave_no_reservation_and_reconcile_sees_settled_counts() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    assert_eq!(app.ai(BREAKDOWN, &token, &body()).await.status, 200);
    assert_eq!(reservations_left(&app).await, 0);
    assert_eq!(app.count("breakdown").await, 1);
    leave_a_reservation_behind(&app).await;
    let r = app
        .reconcile(
            &token,
            &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 0}),
        )
        .await;
    assert_eq!(
        r.body["server_count"], 1,
        "a unit in flight is not a count: a reconcile cannot make it permanent"
    );
}
