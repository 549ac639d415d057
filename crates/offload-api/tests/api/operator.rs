//! The operator's view of one install (`offload-api usage show | reset | top`): token totals per
//! month and feature recorded with each call — rejected output included — the stored counts,
//! a reset of the current period's counts, and the heaviest installs. Both engines; the binary's
//! wiring once, on SQLite.

use offload_api::operator;
use serde_json::json;
use time::macros::datetime;

use crate::support::*;

const BREAKDOWN: &str = "/v1/ai/breakdown/generate";
const NOW: time::OffsetDateTime = datetime!(2026-02-16 12:00 UTC);

#[tokio::test]
async fn show_lists_tokens_per_month_and_feature_and_the_counts() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 120, 40).await;
    let token = app.token().await;
    for _ in 0..2 {
        app.ai(
            BREAKDOWN,
            &token,
            &json!({"input_text": "x", "granularity": 1}),
        )
        .await
        .assert_status(200);
    }
    app.preload("draft", 3).await;

    let out = operator::show(&app.state.db, INSTALL).await.unwrap();
    assert!(out.starts_with("Install install-12345\n"), "{out}");
    let month = offload_api::store::tokens::month_of(NOW);
    let row = out
        .lines()
        .find(|l| l.contains(&month) && l.contains("breakdown"))
        .unwrap_or_else(|| panic!("no breakdown row in {out}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[2..], ["2", "240", "80"], "{row}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["lifetime", "breakdown", "2"]),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["lifetime", "draft", "3"]),
        "{out}"
    );
    assert_eq!(
        operator::show(&app.state.db, "install-unknown")
            .await
            .unwrap(),
        "No usage stored for install install-unknown.\n"
    );
    assert!(matches!(
        operator::show(&app.state.db, "short").await,
        Err(operator::OperatorError::Usage(_))
    ));
}

#[tokio::test]
async fn a_rejected_answer_is_not_counted_but_its_tokens_are_recorded() {
    let app = TestApp::new().await;
    app.provider_answers(json!({"nothing": "useful"}), 90, 10)
        .await;
    let token = app.token().await;
    app.ai(
        BREAKDOWN,
        &token,
        &json!({"input_text": "x", "granularity": 1}),
    )
    .await
    .assert_error(502, "provider_invalid_response");
    assert_eq!(app.count("breakdown").await, 0);
    let out = operator::show(&app.state.db, INSTALL).await.unwrap();
    let row = out.lines().find(|l| l.contains("breakdown")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[2..],
        ["1", "90", "10"]
    );
}

#[tokio::test]
async fn reset_clears_the_current_period_counts_of_one_feature_or_all() {
    let app = TestApp::new().await;
    app.preload("breakdown", 10).await;
    app.preload("draft", 2).await;
    let config = &app.state.config;

    let out = operator::reset(&app.state.db, config, INSTALL, Some("breakdown"), NOW)
        .await
        .unwrap();
    assert_eq!(
        out,
        "Reset install install-12345 in period lifetime: feature breakdown (1 count removed).\n"
    );
    assert_eq!(app.count("breakdown").await, 0);
    assert_eq!(app.count("draft").await, 2);
    // The quota is free again: an AI call is admitted.
    app.provider_answers(fake::breakdown(), 1, 1).await;
    let token = app.token().await;
    app.ai(
        BREAKDOWN,
        &token,
        &json!({"input_text": "x", "granularity": 1}),
    )
    .await
    .assert_status(200);

    let out = operator::reset(&app.state.db, config, INSTALL, None, NOW)
        .await
        .unwrap();
    assert!(out.contains("every feature (2 counts removed)"), "{out}");
    assert_eq!(app.count("draft").await, 0);
}

#[tokio::test]
async fn top_orders_installs_by_tokens_this_month() {
    let app = TestApp::new().await;
    app.provider_answers(fake::breakdown(), 100, 50).await;
    for (install, calls) in [("install-light", 1), ("install-heavy", 3)] {
        let token = app.token_for(install).await;
        for _ in 0..calls {
            app.ai(
                BREAKDOWN,
                &token,
                &json!({"input_text": "x", "granularity": 1}),
            )
            .await
            .assert_status(200);
        }
    }
    let now = NOW;
    let out = operator::top(&app.state.db, None, 10, now).await.unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Heaviest installs in "), "{out}");
    assert!(lines[2].starts_with("  install-heavy"), "{out}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>()[1..],
        ["3", "300", "150"]
    );
    assert!(lines[3].starts_with("  install-light"), "{out}");
    let out = operator::top(&app.state.db, None, 1, now).await.unwrap();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(
        operator::top(&app.state.db, Some("2001-01"), 10, now)
            .await
            .unwrap(),
        "No provider calls recorded in 2001-01.\n"
    );
    assert!(
        operator::top(&app.state.db, Some("2026-13"), 10, now)
            .await
            .is_err()
    );
}

/// The binary runs the commands against the configured database and prints their answers.
#[tokio::test]
async fn the_binary_prints_usage_for_an_install() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/offload.sqlite3", dir.path().display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_offload-api"))
            .args(args)
            .env("OFFLOAD_DATABASE_URL", &url)
            .env("OFFLOAD_DATA_DIR", dir.path())
            .env("OFFLOAD_ENVIRONMENT", "development")
            // The usage commands do not read provider keys (the operator may not be allowed to).
            .env(
                "OFFLOAD_OPENAI_API_KEY_FILE",
                dir.path().join("unreadable.key"),
            )
            .output()
            .unwrap()
    };
    let out = run(&["usage", "show", "install-12345"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "No usage stored for install install-12345.\n"
    );
    let out = run(&["usage", "reset", "install-12345", "--feature", "draft"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("(0 counts removed)"));
    let out = run(&["usage", "show", "x"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = run(&["usage", "top"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("No provider calls recorded in "));
}
