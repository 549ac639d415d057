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
            tokio::spawn(async move {
                increment(
                    &db,
                    &install,
                    &period,
                    Feature::Draft,
                    Default::default(),
                    dbkit::Timestamp::now(),
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(app.count("draft").await, 160);
    second.close().await;
}

/// How many (install, period, feature) rows are stored.
async fn feature_rows(app: &TestApp) -> usize {
    offload_api::store::usage::dump(&app.state.db)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_install_can_name_at_most_32_distinct_features() {
    let app = TestApp::new().await;
    let token = app.token().await;
    for n in 0..32 {
        let r = app
            .reconcile(&token, &body(&format!("feature-{n}"), json!(1)))
            .await;
        assert_eq!(r.status, 200, "feature {n}: {}", r.text);
    }
    let r = app.reconcile(&token, &body("feature-32", json!(1))).await;
    r.assert_error(422, "too_many_features");
    assert_eq!(
        r.body["error"]["message"],
        "Too many distinct usage features for this install"
    );
    assert_eq!(
        feature_rows(&app).await,
        32,
        "the refused name is not stored"
    );
    let r = app.reconcile(&token, &body("feature-7", json!(5))).await;
    assert_eq!(
        r.body["server_count"], 5,
        "names already stored still merge"
    );
}

#[tokio::test]
async fn the_five_known_features_are_always_accepted_even_past_the_cap() {
    let app = TestApp::with(|s| offload_api::Settings {
        max_features_per_install: 2,
        ..s
    })
    .await;
    let token = app.token().await;
    for name in ["old-a", "old-b"] {
        assert_eq!(
            app.reconcile(&token, &body(name, json!(1))).await.status,
            200
        );
    }
    app.reconcile(&token, &body("old-c", json!(1)))
        .await
        .assert_error(422, "too_many_features");
    for name in ["breakdown", "braindump", "decide", "execfunction", "draft"] {
        let r = app.reconcile(&token, &body(name, json!(3))).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
    }
}

#[tokio::test]
async fn the_feature_cap_is_per_install() {
    let app = TestApp::with(|s| offload_api::Settings {
        max_features_per_install: 1,
        ..s
    })
    .await;
    let token = app.token().await;
    assert_eq!(
        app.reconcile(&token, &body("x-feature", json!(1)))
            .await
            .status,
        200
    );
    let other = app.token_for("install-other-1").await;
    let r = app
        .reconcile(
            &other,
            &json!({"install_id":"install-other-1","feature":"y-feature","local_count":1}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn reconcile_is_rate_limited_per_install_with_retry_after() {
    let app = TestApp::with(|s| offload_api::Settings {
        reconcile_limit_per_install: 2,
        ..s
    })
    .await;
    let token = app.token().await;
    for _ in 0..2 {
        assert_eq!(
            app.reconcile(&token, &body("breakdown", json!(1)))
                .await
                .status,
            200
        );
    }
    let r = app.reconcile(&token, &body("breakdown", json!(1))).await;
    r.assert_error(429, "reconcile_rate_limited");
    assert_eq!(
        r.body["error"]["message"],
        "Too many usage requests; retry later"
    );
    assert_eq!(r.headers["retry-after"], "60");
    app.clock.advance(time::Duration::seconds(60));
    let token = app.token().await;
    assert_eq!(
        app.reconcile(&token, &body("breakdown", json!(1)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn reconcile_is_rate_limited_per_address_across_installs() {
    let app = TestApp::with(|s| offload_api::Settings {
        reconcile_limit_per_ip: 2,
        ..s
    })
    .await;
    for install in ["install-a-1", "install-b-1"] {
        let token = app.token_for(install).await;
        let r = app
            .reconcile(
                &token,
                &json!({"install_id":install,"feature":"breakdown","local_count":1}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let token = app.token_for("install-c-1").await;
    app.reconcile(
        &token,
        &json!({"install_id":"install-c-1","feature":"breakdown","local_count":1}),
    )
    .await
    .assert_error(429, "reconcile_rate_limited");
}
