//! The store answers typed errors (`store::StoreError`), classified the same on both engines, and
//! a database that cannot be reached answers what any unhandled failure answers: the enveloped
//! 500 `internal_error` with the request id.

use dbkit::{ConstraintKind, Db, Timestamp, execute};
use offload_api::store::StoreError;
use serde_json::json;

use crate::support::*;

/// Run one statement in its own transaction; the store's classification of its failure.
async fn failing(db: &Db, sql: &'static str, args: (&str, i64)) -> StoreError {
    let mut tx = db.begin().await.unwrap();
    let e = execute!(tx.conn(), sql, args.0, args.1, Timestamp::now())
        .expect_err("the statement breaks a rule");
    tx.rollback().await.ok();
    StoreError::from(e)
}

#[tokio::test]
async fn broken_integrity_rules_are_conflicts_on_both_engines() {
    let app = TestApp::new().await;
    let db = &app.state.db;
    let e = failing(
        db,
        "INSERT INTO usage_counts (install_id, period, feature, count, updated_at)
         VALUES ($1, 'lifetime', 'breakdown', $2, $3)",
        (INSTALL, -1),
    )
    .await;
    assert!(
        matches!(e, StoreError::Conflict(ConstraintKind::Check)),
        "{e:?}"
    );

    app.preload("breakdown", 1).await;
    let e = failing(
        db,
        "INSERT INTO usage_counts (install_id, period, feature, count, updated_at)
         VALUES ($1, 'lifetime', 'breakdown', $2, $3)",
        (INSTALL, 2),
    )
    .await;
    assert!(
        matches!(e, StoreError::Conflict(ConstraintKind::Unique)),
        "{e:?}"
    );
    assert_eq!(app.count("breakdown").await, 1, "nothing was written");
}

#[tokio::test]
async fn an_unreachable_database_answers_the_enveloped_500() {
    let app = TestApp::new().await;
    let token = app.token().await;
    app.state.db.close().await;

    let session = app.session_reply(INSTALL).await;
    let ai = app
        .ai(
            "/v1/ai/braindump/compile",
            &token,
            &json!({"input_text": "x"}),
        )
        .await;
    let reconcile = app
        .reconcile(
            &token,
            &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 1}),
        )
        .await;
    for r in [session, ai, reconcile] {
        r.assert_error(500, "internal_error");
        let request_id = r.headers["x-request-id"].to_str().unwrap();
        assert_eq!(
            r.body,
            json!({"error": {
                "code": "internal_error",
                "message": "Internal server error",
                "request_id": request_id,
            }})
        );
    }
}
