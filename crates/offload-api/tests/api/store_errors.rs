//! The store answers typed errors (`store::StoreError`), classified the same on both engines, and
//! a database that cannot be reached (closed, refusing, or silent) answers a retryable 503
//! `service_unavailable` with `Retry-After` — never a long stall, never a 500.

use dbkit::{ConstraintKind, Db, Timestamp, execute};
use offload_api::{Settings, store::StoreError};
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

/// A PostgreSQL that accepts connections and then says nothing (a hung server, a black-holed
/// network): requests answer 503 after the acquire timeout instead of stalling, and readiness
/// says so within its own second. Needs no PostgreSQL: the "server" is a silent socket.
#[tokio::test]
async fn a_silent_database_answers_503_after_the_acquire_timeout_not_a_stall() {
    let mut app = TestApp::with(|s| Settings {
        db_acquire_timeout_seconds: 0.5,
        ..s
    })
    .await;
    let token = app.token().await;
    let (db, held) = silent_database(app.state.config.db_acquire_timeout).await;
    app.state = app.state.clone().with_db(db);

    let started = std::time::Instant::now();
    let r = app
        .reconcile(
            &token,
            &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 1}),
        )
        .await;
    let waited = started.elapsed();
    r.assert_error(503, "service_unavailable");
    assert!(waited < std::time::Duration::from_secs(2), "{waited:?}");

    let started = std::time::Instant::now();
    let ready = app.get("/v1/ready").await;
    assert_eq!(ready.status.as_u16(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    held.abort();
}

/// SQLite locked by another process (an operator's `usage reset`, a backup) past the busy
/// timeout: the retryable 503, not a 500.
#[tokio::test]
async fn a_sqlite_database_locked_elsewhere_answers_503() {
    let mut app = TestApp::new().await;
    if app.state.db.engine() != dbkit::Engine::Sqlite {
        return;
    }
    let token = app.token().await;
    let db = Db::open(
        &app.db.url,
        &dbkit::DbOptions {
            acquire_timeout: std::time::Duration::from_millis(300),
            ..dbkit::DbOptions::default()
        },
    )
    .await
    .unwrap();
    app.state = app.state.clone().with_db(db);
    let path = app.db.url.trim_start_matches("sqlite://").to_owned();
    let mut other = {
        use sqlx::ConnectOptions as _;
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap()
    };
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let r = app
        .reconcile(
            &token,
            &json!({"install_id": INSTALL, "feature": "breakdown", "local_count": 1}),
        )
        .await;
    r.assert_error(503, "service_unavailable");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
}
