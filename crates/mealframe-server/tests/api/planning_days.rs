//! Day-level changes: template switch and "No Plan" on any day of any generated week
//! (difference 9), and clearing an override (difference 1).

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn switching_a_template_rebuilds_the_day_even_in_the_past() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let light = app.create(&lib.token, "/api/v1/day-templates", json!({"name": "Light", "slots": [{"position": 1, "meal_type_id": lib.types["Lunch"]}]})).await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let monday_slot = week["days"][0]["slots"][0]["id"].as_str().unwrap();
    app.post(&format!("/api/v1/slots/{monday_slot}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    let r = app
        .put("/api/v1/weekly-plans/current/days/2026-11-16/template")
        .bearer(&lib.token)
        .json(json!({"day_template_id": light["id"]}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    let day = r.json();
    assert_eq!(
        (
            day["date"].clone(),
            day["template"]["name"].clone(),
            day["is_override"].clone()
        ),
        (json!("2026-11-16"), json!("Light"), json!(false))
    );
    assert_eq!(day["slots"].as_array().unwrap().len(), 1);
    assert_eq!(
        day["slots"][0]["completion_status"],
        json!(null),
        "marks are replaced with the slots"
    );
    assert_eq!(
        day["completion_summary"],
        json!({"completed": 0, "total": 1})
    );
}

#[tokio::test]
async fn template_switch_works_in_other_generated_weeks_and_on_unmapped_days() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-23").await;
    let r = app
        .put("/api/v1/weekly-plans/current/days/2026-11-28/template")
        .bearer(&lib.token)
        .json(json!({"day_template_id": lib.template}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["weekday"], "Saturday");
    assert_eq!(r.json()["slots"].as_array().unwrap().len(), 2);
    let week = app
        .get_json(
            &lib.token,
            "/api/v1/weekly-plans/current?week_start_date=2026-11-23",
        )
        .await;
    assert_eq!(week["days"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn template_switch_errors() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    let r = app
        .put("/api/v1/weekly-plans/current/days/2026-11-18/template")
        .bearer(&lib.token)
        .json(json!({"day_template_id": lib.template}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": {"error": {"code": "NOT_FOUND", "message": "No plan exists for the current week"}}})
    );
    let r = app
        .put("/api/v1/weekly-plans/current/days/2099-06-15/template")
        .bearer(&lib.token)
        .json(json!({"day_template_id": lib.template}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.detail()["error"]["message"],
        "No plan exists for week starting 2099-06-15"
    );
    app.generate(&lib.token, "2026-11-16").await;
    for other in [bob.template.clone(), uuid::Uuid::new_v4().to_string()] {
        let r = app
            .put("/api/v1/weekly-plans/current/days/2026-11-18/template")
            .bearer(&lib.token)
            .json(json!({"day_template_id": other}))
            .send()
            .await;
        r.assert(StatusCode::NOT_FOUND);
        assert_eq!(
            r.detail()["error"]["message"],
            format!("Day template with id {other} not found")
        );
    }
    let r = app
        .put("/api/v1/weekly-plans/current/days/18-11-2026/template")
        .bearer(&lib.token)
        .json(json!({"day_template_id": lib.template}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["path", "target_date"]));
}

#[tokio::test]
async fn no_plan_removes_the_slots_and_can_be_cleared_to_restore_them() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let url = "/api/v1/weekly-plans/current/days/2026-11-17/override";
    let r = app
        .put(url)
        .bearer(&lib.token)
        .json(json!({"reason": "Vacation day"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"date": "2026-11-17", "is_override": true, "override_reason": "Vacation day"})
    );
    let r = app.put(url).bearer(&lib.token).json(json!({})).send().await;
    assert_eq!(r.json()["override_reason"], json!(null));
    let y = app.get_json(&lib.token, "/api/v1/yesterday").await;
    assert_eq!(
        (
            y["is_override"].clone(),
            y["slots"].clone(),
            y["template"]["name"].clone()
        ),
        (json!(true), json!([]), json!("Workday"))
    );

    let r = app.delete(url).bearer(&lib.token).send().await;
    r.assert(StatusCode::OK);
    let day = r.json();
    assert_eq!(
        (day["is_override"].clone(), day["override_reason"].clone()),
        (json!(false), json!(null))
    );
    assert_eq!(day["slots"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn override_errors_and_clearing_a_day_that_has_slots_is_a_409() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let url = "/api/v1/weekly-plans/current/days/2026-11-18/override";
    app.put(url)
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.delete(url)
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.generate(&lib.token, "2026-11-16").await;
    let r = app
        .put(url)
        .bearer(&lib.token)
        .json(json!({"reason": "x".repeat(256)}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "reason"]));
    app.put(url)
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);

    // Difference 1: the original crashed (500) here.
    let r = app.delete(url).bearer(&lib.token).send().await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(r.detail()["error"]["code"], "CONFLICT");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM weekly_plan_slots").await,
        10
    );

    let r = app
        .delete("/api/v1/weekly-plans/current/days/2026-11-21/override")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail()["error"]["message"],
        "No day record for 2026-11-21"
    );
    // A "No Plan" day on an unmapped weekday has no template to restore.
    app.put("/api/v1/weekly-plans/current/days/2026-11-21/override")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::OK);
    let r = app
        .delete("/api/v1/weekly-plans/current/days/2026-11-21/override")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail()["error"]["message"],
        "No template available for 2026-11-21"
    );
}

#[tokio::test]
async fn a_past_day_can_be_excused_retroactively() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-09").await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-10/override")
        .bearer(&lib.token)
        .json(json!({"reason": "sick"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let week = app
        .get_json(
            &lib.token,
            "/api/v1/weekly-plans/current?week_start_date=2026-11-09",
        )
        .await;
    assert_eq!(week["days"][1]["is_override"], true);
    assert_eq!(week["days"][1]["slots"], json!([]));
}

#[tokio::test]
async fn restoring_a_no_plan_day_brings_the_template_back_and_keeps_the_meals_added_meanwhile() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let url = "/api/v1/weekly-plans/current/days/2026-11-19/override";
    app.put(url)
        .bearer(&lib.token)
        .json(json!({"reason": "Dinner out"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let added = app
        .create(
            &lib.token,
            "/api/v1/today/slots",
            json!({"meal_id": lib.meals["Yogurt"], "date": "2026-11-19"}),
        )
        .await;

    let r = app.delete(url).bearer(&lib.token).send().await;
    r.assert(StatusCode::OK);
    let day = r.json();
    assert_eq!(day["is_override"], false);
    let slots = day["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 3, "{day}");
    assert_eq!(slots[2]["id"], added["id"], "the added meal stays, last");
    assert_eq!(slots[2]["is_adhoc"], true);
    assert!(slots[..2].iter().all(|s| s["is_adhoc"] == false));
}
