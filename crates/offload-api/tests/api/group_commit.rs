//! Group commit (issue 15): many requests share a transaction, and the answers are those of
//! running them one after another — exact quotas, exact rate limits, exact reconcile merges —
//! also with two instances, each with its own committer and pool, on one database.

use std::sync::Arc;

use offload_api::AppState;
use serde_json::json;

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";

/// A second instance: its own configuration copy, clock, pool and committer, on `app`'s database.
async fn second_instance(
    app: &TestApp,
    adjust: fn(offload_api::Settings) -> offload_api::Settings,
) -> TestApp {
    let second = TestApp::with(adjust).await;
    let db = dbkit::Db::open(&app.db.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let state = AppState::new((*second.state.config).clone(), db, app.clock.clone());
    TestApp { state, ..second }
}

/// Several instances share a database on PostgreSQL (SQLite is one instance's file; its single
/// process is covered by the other tests here).
fn shared_by_instances(app: &TestApp) -> bool {
    app.state.db.engine() == dbkit::Engine::Postgres
}

fn generous(s: offload_api::Settings) -> offload_api::Settings {
    offload_api::Settings {
        ai_inference_limit_per_install: 10_000,
        ai_inference_limit_per_ip: 10_000,
        session_issue_limit_per_install: 10_000,
        session_issue_limit_per_ip: 10_000,
        reconcile_limit_per_install: 10_000,
        reconcile_limit_per_ip: 10_000,
        default_feature_quota: 37,
        // 200 calls at once on a loaded CI machine: a slow fake answer is not what is tested.
        openai_timeout_seconds: 20.0,
        ..s
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_keep_the_quota_exact_under_200_concurrent_calls() {
    let a = TestApp::with(generous).await;
    if !shared_by_instances(&a) {
        return;
    }
    let b = second_instance(&a, generous).await;
    let reply = openai_reply(&fake::breakdown().to_string(), 1, 1)
        .set_delay(std::time::Duration::from_millis(30));
    a.provider_replies(reply.clone()).await;
    b.provider_replies(reply).await;
    let token = a.token().await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let token = token.clone();
            tokio::spawn(async move {
                app.ai(
                    BREAKDOWN,
                    &token,
                    &json!({"input_text":"x","granularity":1}),
                )
                .await
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for call in calls {
        let r = call.await.unwrap();
        match (r.status.as_u16(), r.code()) {
            (200, _) => ok += 1,
            (503, "quota_busy") | (429, "quota_exceeded") => refused += 1,
            (s, code) => panic!("unexpected {s} {code}: {}", r.text),
        }
    }
    assert_eq!((ok, refused), (37, 163));
    assert_eq!(a.count("breakdown").await, 37);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sessions_passes_exactly_the_address_limit_across_two_instances() {
    fn limited(s: offload_api::Settings) -> offload_api::Settings {
        offload_api::Settings {
            session_issue_limit_per_ip: 60,
            session_issue_limit_per_install: 10_000,
            ..s
        }
    }
    let a = Arc::new(TestApp::with(limited).await);
    if !shared_by_instances(&a) {
        return;
    }
    let b = Arc::new(second_instance(&a, limited).await);
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { app.session_reply(&format!("install-burst-{i:04}")).await })
        })
        .collect();
    let (mut ok, mut throttled) = (0, 0);
    for call in calls {
        let r = call.await.unwrap();
        match r.status.as_u16() {
            200 => ok += 1,
            429 => {
                r.assert_error(429, "session_rate_limited");
                assert!(r.headers.contains_key("retry-after"));
                throttled += 1;
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    assert_eq!((ok, throttled), (60, 140));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sessions_share_transactions() {
    let app = Arc::new(TestApp::with(generous).await);
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { app.session_reply(&format!("install-share-{i:04}")).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().status, 200);
    }
    let totals = app.state.commits.totals();
    assert_eq!(totals.requests, 100);
    assert!(
        totals.batches < totals.requests,
        "100 concurrent requests took {} commits",
        totals.batches
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reconciles_merge_as_if_one_after_another() {
    let app = Arc::new(
        TestApp::with(|s| offload_api::Settings {
            max_features_per_install: 32,
            ..generous(s)
        })
        .await,
    );
    let token = app.token().await;
    // The same feature at 1..=100 at once: the highest wins, and nobody sees less than it sent.
    let counts: Vec<_> = (1..=100)
        .map(|n| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                let r = app
                    .reconcile(
                        &token,
                        &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": n}),
                    )
                    .await;
                (n, r)
            })
        })
        .collect();
    for call in counts {
        let (n, r) = call.await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.body["server_count"].as_i64().unwrap() >= n);
    }
    assert_eq!(app.count("breakdown").await, 100);
    // 40 new names at once with room for 32 names (the known feature used above is one).
    let names: Vec<_> = (0..40)
        .map(|i| {
            let (app, token) = (app.clone(), token.clone());
            tokio::spawn(async move {
                app.reconcile(
                    &token,
                    &json!({"install_id": INSTALL, "feature": format!("custom-{i}"), "local_count": 1}),
                )
                .await
            })
        })
        .collect();
    let (mut stored, mut refused) = (0, 0);
    for call in names {
        let r = call.await.unwrap();
        match r.status.as_u16() {
            200 => stored += 1,
            422 => {
                r.assert_error(422, "too_many_features");
                refused += 1;
            }
            s => panic!("unexpected {s}: {}", r.text),
        }
    }
    assert_eq!((stored, refused), (31, 9));
}

/// A database that accepts connections and never answers: every waiting request answers 503
/// after about one acquire timeout — not one timeout after another (20 × 0.5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_silent_database_answers_every_waiting_request_503_at_once() {
    let mut app = TestApp::with(|s| offload_api::Settings {
        db_acquire_timeout_seconds: 0.5,
        ..generous(s)
    })
    .await;
    let (db, held) = silent_database(app.state.config.db_acquire_timeout).await;
    app.state = app.state.clone().with_db(db);
    let app = Arc::new(app);
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { app.session_reply(&format!("install-lost-{i:04}")).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().assert_error(503, "service_unavailable");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    held.abort();
}

/// A transaction left open elsewhere (an operator's psql session) holding one install's pool
/// row: that install's request answers 503 after the lock timeout, and the requests queued
/// behind its batch are served — the process does not stall. PostgreSQL only (SQLite has no
/// row locks; its writer lock is the acquire timeout's business).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_row_locked_elsewhere_costs_one_lock_timeout_not_a_stalled_process() {
    let app = Arc::new(TestApp::with(generous).await);
    if app.state.db.engine() != dbkit::Engine::Postgres {
        return;
    }
    let token = app.token().await;
    let reconcile = json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 1});
    assert_eq!(app.reconcile(&token, &reconcile).await.status, 200);
    let mut other = app.state.db.begin().await.unwrap();
    dbkit::execute!(
        other.conn(),
        "UPDATE quota_pools SET touched_at = touched_at WHERE install_id = $1",
        INSTALL
    )
    .unwrap();

    let started = std::time::Instant::now();
    let stuck = {
        let (app, token, body) = (app.clone(), token.clone(), reconcile.clone());
        tokio::spawn(async move { app.reconcile(&token, &body).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let behind = app.session_reply("install-behind-1").await;
    assert_eq!(behind.status, 200, "{}", behind.text);
    stuck
        .await
        .unwrap()
        .assert_error(503, "service_unavailable");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    other.rollback().await.unwrap();
    assert_eq!(app.reconcile(&token, &reconcile).await.status, 200);
}

/// In one batch, requests refused on their address do not count on their install id: of 10
/// concurrent requests from one address (limit 3) for one install (limit 4), 3 pass, and the
/// install still has one request left from another address.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_refused_on_its_address_leaves_its_install_window_alone() {
    let app = Arc::new(
        TestApp::with(|s| offload_api::Settings {
            session_issue_limit_per_ip: 3,
            session_issue_limit_per_install: 4,
            ..s
        })
        .await,
    );
    let request = || {
        axum::http::Request::post("/v1/sessions/anonymous")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"install_id": "install-shared-1", "app_version": "1.0", "platform": "ios"})
                    .to_string(),
            ))
            .unwrap()
    };
    let from = |ip: [u8; 4]| std::net::SocketAddr::from((ip, 5000));
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.send_from(from([198, 51, 100, 1]), request()).await })
        })
        .collect();
    let mut ok = 0;
    for call in calls {
        if call.await.unwrap().status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
    let other = from([198, 51, 100, 2]);
    assert_eq!(app.send_from(other, request()).await.status, 200);
    app.send_from(other, request())
        .await
        .assert_error(429, "session_rate_limited");
}
