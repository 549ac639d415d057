//! `Idempotency-Key` on mutations: how the web app's offline queue replays safely.

use axum::http::StatusCode;
use mealframe_core::ids::UserId;
use mealframe_store::accounts::idempotency::{self, Claim, Claimant};
use platform::instance::Instance;
use serde_json::json;

use crate::helpers::{TestApp, count};

async fn create_type(app: &TestApp, token: &str, key: &str, name: &str) -> crate::helpers::Resp {
    app.post("/api/v1/meal-types")
        .bearer(token)
        .header("idempotency-key", key)
        .json(json!({"name": name}))
        .send()
        .await
}

#[tokio::test]
async fn a_replayed_key_gets_the_first_answer_and_changes_nothing() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let first = create_type(&app, &token, "k-1", "Breakfast").await;
    first.assert(StatusCode::CREATED);
    assert!(first.header("idempotent-replayed").is_none());

    let again = create_type(&app, &token, "k-1", "Breakfast").await;
    again.assert(StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 1);

    // Without the key the same request really runs again (and meets the duplicate name).
    app.post("/api/v1/meal-types")
        .bearer(&token)
        .json(json!({"name": "Breakfast"}))
        .send()
        .await
        .assert(StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_refusal_is_replayed_too() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let first = create_type(&app, &token, "k-bad", "").await;
    first.assert(StatusCode::UNPROCESSABLE_ENTITY);
    let again = create_type(&app, &token, "k-bad", "").await;
    again.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_refused() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    create_type(&app, &token, "k-1", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    let r = app
        .post("/api/v1/meals")
        .bearer(&token)
        .header("idempotency-key", "k-1")
        .json(json!({"name": "Oats", "portion_description": "60 g"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.detail(),
        "Idempotency-Key was already used for a different request"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, 0);
}

#[tokio::test]
async fn keys_belong_to_one_user() {
    let app = TestApp::new().await;
    let ana = app.signup("ana@example.com").await;
    let bob = app.signup("bob@example.com").await;
    create_type(&app, &ana, "same", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    let r = create_type(&app, &bob, "same", "Breakfast").await;
    r.assert(StatusCode::CREATED);
    assert!(r.header("idempotent-replayed").is_none());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 2);
}

async fn user_of(app: &TestApp, token: &str) -> UserId {
    let me = app.get_json(token, "/api/v1/auth/me").await;
    UserId(me["id"].as_str().unwrap().parse().unwrap())
}

/// As if a request with `key` had started (claimed by `owner`, for ten seconds) and not finished.
async fn claimed_by(app: &TestApp, user: UserId, key: &str, owner: &str, applied: bool) {
    let mut tx = app.state.db.begin().await.unwrap();
    let claim = idempotency::claim(
        &mut tx.conn(),
        user,
        key,
        "POST /api/v1/meal-types",
        app.state.now(),
        &Claimant {
            owner,
            lease_until: app.state.now().plus(time::Duration::seconds(10)),
            owner_gone: &|_| false,
        },
    )
    .await
    .unwrap();
    assert_eq!(claim, Claim::Fresh);
    if applied {
        idempotency::mark_applied(&mut tx.conn(), user, key)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// An owner id on this machine whose process does not exist (above the kernel's largest pid).
fn dead_process_here() -> String {
    let me = Instance::current().id();
    let machine = me.rsplitn(3, '/').nth(2).unwrap();
    format!("{machine}/4194305/1")
}

#[tokio::test]
async fn a_key_still_running_answers_409_until_its_lease_ends() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let user = user_of(&app, &token).await;
    // Another tab's request with this key, on another instance, has started and not finished.
    claimed_by(&app, user, "busy", "other-host/77/1", false).await;
    let r = create_type(&app, &token, "busy", "Breakfast").await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(r.header("retry-after"), Some("1"));
    app.advance(time::Duration::seconds(9));
    create_type(&app, &token, "busy", "Breakfast")
        .await
        .assert(StatusCode::CONFLICT);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 0);

    // Its owner stopped renewing (a crash elsewhere): once the lease is over, the repeat runs.
    app.advance(time::Duration::seconds(2));
    create_type(&app, &token, "busy", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 1);
}

#[tokio::test]
async fn a_key_left_by_a_process_that_died_here_is_taken_over_at_once() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let user = user_of(&app, &token).await;
    claimed_by(&app, user, "k-crash", &dead_process_here(), false).await;
    // No waiting: the process that held the key is gone, so the retry runs now.
    create_type(&app, &token, "k-crash", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 1);
}

#[tokio::test]
async fn a_change_committed_by_a_process_that_died_here_is_not_applied_again() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let user = user_of(&app, &token).await;
    claimed_by(&app, user, "k-crash", &dead_process_here(), true).await;
    let r = create_type(&app, &token, "k-crash", "Breakfast").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 0);
}

#[tokio::test]
async fn a_key_held_by_this_process_is_not_taken_over_before_its_lease_ends() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let user = user_of(&app, &token).await;
    claimed_by(&app, user, "k-live", &Instance::current().id(), false).await;
    create_type(&app, &token, "k-live", "Breakfast")
        .await
        .assert(StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_renewed_claim_keeps_holding() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let user = user_of(&app, &token).await;
    claimed_by(&app, user, "k-long", "other-host/77/1", false).await;
    app.advance(time::Duration::seconds(8));
    {
        // The owner's request is still running: it renews its claim.
        let mut tx = app.state.db.begin().await.unwrap();
        let until = app.state.now().plus(time::Duration::seconds(10));
        idempotency::renew(&mut tx.conn(), user, "k-long", "other-host/77/1", until)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    app.advance(time::Duration::seconds(8));
    create_type(&app, &token, "k-long", "Breakfast")
        .await
        .assert(StatusCode::CONFLICT);
}

#[tokio::test]
async fn routes_without_a_user_ignore_the_key() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .header("idempotency-key", "k-1")
        .json(json!({"email": "ana@example.com", "password": "correct horse"}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
}

#[tokio::test]
async fn a_malformed_key_is_ignored() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let long = "k".repeat(129);
    create_type(&app, &token, &long, "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    create_type(&app, &token, &long, "Lunch")
        .await
        .assert(StatusCode::CREATED);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
}

#[tokio::test]
async fn the_change_and_its_applied_mark_commit_together() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    create_type(&app, &token, "k-ok", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    create_type(&app, &token, "k-refused", "")
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let applied = |key: &'static str| {
        let app = &app;
        async move {
            let mut r = app.state.db.reader().await.unwrap();
            dbkit::fetch_scalar!(
                r.conn(),
                bool,
                "SELECT applied FROM idempotency_keys WHERE key = $1",
                key
            )
            .unwrap()
        }
    };
    assert!(applied("k-ok").await);
    // A refused request changed nothing (its transaction, if any, rolled back).
    assert!(!applied("k-refused").await);
}

#[tokio::test]
async fn a_change_that_committed_without_its_answer_is_not_applied_again() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    create_type(&app, &token, "k-1", "Breakfast")
        .await
        .assert(StatusCode::CREATED);
    // As if the server had stopped right after the change committed: the key is claimed and
    // marked applied, no answer stored.
    {
        let mut tx = app.state.db.begin().await.unwrap();
        dbkit::execute!(
            tx.conn(),
            "UPDATE idempotency_keys SET status_code = NULL, content_type = NULL, response_body = NULL WHERE key = 'k-1'"
        )
        .unwrap();
        tx.commit().await.unwrap();
    }
    // While it might still be running: 409, retry later.
    create_type(&app, &token, "k-1", "Breakfast")
        .await
        .assert(StatusCode::CONFLICT);
    // Once stale: applied, answer lost — and still one meal type.
    app.advance(time::Duration::minutes(6));
    let r = create_type(&app, &token, "k-1", "Breakfast").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        r.json()["detail"],
        "This request was already applied; its original answer is not available"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 1);
}

#[tokio::test]
async fn a_keyed_mark_takes_the_transaction_path_and_replays() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    let slot = today["slots"][0]["id"].as_str().unwrap().to_owned();
    let mark = |status: &'static str| {
        app.post(&format!("/api/v1/slots/{slot}/complete"))
            .bearer(&lib.token)
            .header("idempotency-key", "mark-1")
            .json(json!({ "status": status }))
            .send()
    };
    let first = mark("followed").await;
    first.assert(StatusCode::OK);
    // The same key again (a replay) does not re-apply, even with another body.
    let again = mark("skipped").await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    let now = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(now["slots"][0]["completion_status"], "followed");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM idempotency_keys WHERE applied").await,
        1
    );
}
