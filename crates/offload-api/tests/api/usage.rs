//! `/v1/usage/reconcile` (spec §2.5, §5.1).

use serde_json::json;

use crate::support::*;

fn body(feature: &str, n: serde_json::Value) -> serde_json::Value {
    json!({"install_id": INSTALL, "feature": feature, "local_count": n})
}

#[tokio::test]
async fn reconcile_keeps_the_highest_count() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let r = app.reconcile(&token, &body("breakdown", json!(4))).await;
    assert_eq!(r.body["server_count"], 4);
    let r = app.reconcile(&token, &body("breakdown", json!(2))).await;
    assert_eq!(r.body["server_count"], 4);
}

#[tokio::test]
async fn effective_remaining_is_per_feature_against_the_full_quota() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.reconcile(&token, &body("breakdown", json!(3))).await;
    let r = app.reconcile(&token, &body("breakdown", json!(7))).await;
    assert_eq!(r.body["server_count"], 7);
    assert_eq!(r.body["effective_remaining"], 3);
    let r = app.reconcile(&token, &body("decide", json!(12))).await;
    assert_eq!(r.body["effective_remaining"], 0);
}

#[tokio::test]
async fn reconcile_answers_a_whole_second_timestamp() {
    let app = TestApp::new().await;
    app.clock
        .set(time::macros::datetime!(2026-02-16 12:00:00.987654 UTC));
    let token = app.token().await;
    let r = app.reconcile(&token, &body("breakdown", json!(1))).await;
    assert_eq!(r.body["reconciled_at"], "2026-02-16T12:00:00Z");
}

#[tokio::test]
async fn any_feature_name_of_1_to_64_characters_is_accepted() {
    let app = TestApp::new().await;
    let token = app.token().await;
    assert_eq!(
        app.reconcile(&token, &body("some-future-feature", json!(1)))
            .await
            .status,
        200
    );
    app.reconcile(&token, &body(&"f".repeat(65), json!(1)))
        .await
        .assert_error(422, "validation_error");
}

#[tokio::test]
async fn local_count_must_be_a_non_negative_integer_within_range() {
    let app = TestApp::new().await;
    let token = app.token().await;
    for n in [
        json!(-1),
        json!(2_147_483_648_i64),
        json!(9_223_372_036_854_775_808_u64),
        json!(1.5),
        json!("many"),
        json!(null),
    ] {
        app.reconcile(&token, &body("breakdown", n))
            .await
            .assert_error(422, "validation_error");
    }
    let r = app.reconcile(&token, &body("breakdown", json!("5"))).await;
    assert_eq!(r.body["server_count"], 5, "lax integers as in the original");
    let r = app
        .reconcile(&token, &body("breakdown", json!(2_147_483_647_i64)))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn since_is_accepted_and_ignored_and_unknown_keys_too() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let r = app
        .reconcile(
            &token,
            &json!({"install_id":INSTALL,"feature":"breakdown","local_count":2,
                    "since":"2026-02-01T00:00:00Z","extra":true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.reconcile(
        &token,
        &json!({"install_id":INSTALL,"feature":"breakdown","local_count":2,"since":"last week"}),
    )
    .await
    .assert_error(422, "validation_error");
}

#[tokio::test]
async fn another_installs_id_is_refused() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.reconcile(
        &token,
        &json!({"install_id":"someone-else-1","feature":"breakdown","local_count":1}),
    )
    .await
    .assert_error(403, "install_id_mismatch");
}

#[tokio::test]
async fn concurrent_reconciles_end_at_the_maximum() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let token = app.token().await;
    let calls: Vec<_> = (0..50)
        .map(|n| {
            let app = app.clone();
            let token = token.clone();
            tokio::spawn(async move { app.reconcile(&token, &body("breakdown", json!(n))).await })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap().status, 200);
    }
    assert_eq!(app.count("breakdown").await, 49);
}

#[tokio::test]
async fn counts_survive_a_restart_on_the_same_database() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.reconcile(&token, &body("breakdown", json!(4))).await;
    let reopened = dbkit::Db::connect(
        &app.db.url,
        offload_api::store::migrations(),
        &dbkit::DbOptions::default(),
    )
    .await
    .unwrap();
    let rows = offload_api::store::usage::dump(&reopened).await.unwrap();
    assert_eq!(
        rows,
        vec![(
            INSTALL.to_owned(),
            "lifetime".to_owned(),
            "breakdown".to_owned(),
            4
        )]
    );
    reopened.close().await;
}

#[tokio::test]
async fn concurrent_increments_through_two_handles_on_one_database_all_count() {
    use offload_api::{
        model::ids::{Feature, InstallId},
        store::usage::{Period, increment},
    };
    let app = TestApp::new().await;
    let second = dbkit::Db::connect(
        &app.db.url,
        offload_api::store::migrations(),
        &dbkit::DbOptions::default(),
    )
    .await
    .unwrap();
    let install = InstallId::parse(INSTALL).unwrap();
    let period = Period::at(
        offload_api::config::QuotaPeriod::Lifetime,
        time::OffsetDateTime::now_utc(),
    );
    let tasks: Vec<_> = (0..160)
        .map(|i| {
            let db = if i % 2 == 0 {
                app.state.db.clone()
            } else {
                second.clone()
            };
            let (install, period) = (install.clone(), period.clone());
            tokio::spawn(async move { increment(&db, &install, &period, Feature::Draft).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(app.count("draft").await, 160);
    second.close().await;
}
