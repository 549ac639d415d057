//! Issue 13: a day template's slots have an optional time of day ("HH:MM", the user's time
//! zone); Today shows it and orders slots by it.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn meal_time_round_trips_through_create_read_and_update() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = app
        .create(
            &lib.token,
            "/api/v1/day-templates",
            json!({"name": "Timed", "slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"], "time": "07:30"},
            {"position": 2, "meal_type_id": lib.types["Lunch"], "time": null}]}),
        )
        .await;
    assert_eq!(t["slots"][0]["time"], "07:30");
    assert_eq!(t["slots"][1]["time"], json!(null));
    let path = format!("/api/v1/day-templates/{}", t["id"].as_str().unwrap());
    let got = app.get_json(&lib.token, &path).await;
    assert_eq!(got["slots"][0]["time"], "07:30");
    let r = app
        .put(&path)
        .bearer(&lib.token)
        .json(json!({"slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"], "time": "23:59"},
            {"position": 2, "meal_type_id": lib.types["Lunch"], "time": "00:00"}]}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["slots"][0]["time"], "23:59");
    assert_eq!(r.json()["slots"][1]["time"], "00:00");
    // An update without slots keeps the times.
    app.put(&path)
        .bearer(&lib.token)
        .json(json!({"name": "Renamed"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let got = app.get_json(&lib.token, &path).await;
    assert_eq!(got["slots"][0]["time"], "23:59");
}

#[tokio::test]
async fn meal_time_omitted_leaves_slots_untimed_and_today_unchanged() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let path = format!("/api/v1/day-templates/{}", lib.template);
    let got = app.get_json(&lib.token, &path).await;
    assert_eq!(got["slots"][0]["time"], json!(null));
    app.generate(&lib.token, "2026-11-16").await;
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    // No time: the slot keeps the original wire shape (no `time` key) and position order.
    assert!(today["slots"][0].get("time").is_none());
    assert_eq!(today["slots"][0]["meal_type"]["name"], "Breakfast");
    assert_eq!(today["slots"][1]["meal_type"]["name"], "Lunch");
}

#[tokio::test]
async fn meal_time_that_is_not_hh_mm_is_a_422_and_changes_nothing() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    for bad in [
        json!("7:30"),
        json!("24:00"),
        json!("07:60"),
        json!("07:30:00"),
        json!(""),
        json!("noon"),
    ] {
        let r = app
            .post("/api/v1/day-templates")
            .bearer(&lib.token)
            .json(json!({"name": "Bad", "slots": [{"position": 1, "meal_type_id": lib.types["Lunch"], "time": bad}]}))
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        let issue = &r.detail()[0];
        assert_eq!(issue["type"], "string_pattern_mismatch", "{bad}");
        assert_eq!(issue["loc"], json!(["body", "slots", 0, "time"]));
        assert_eq!(issue["input"], bad);
    }
    let r = app
        .put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [{"position": 1, "meal_type_id": lib.types["Lunch"], "time": 730}]}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "string_type");
    let list = app.get_json(&lib.token, "/api/v1/day-templates").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["slot_count"], 2);
}

#[tokio::test]
async fn meal_time_orders_today_and_shows_on_each_slot() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    // Lunch moved before breakfast by time; slots are read live from the template.
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"], "time": "10:15"},
            {"position": 2, "meal_type_id": lib.types["Lunch"], "time": "06:45"}]}))
        .send()
        .await
        .assert(StatusCode::OK);
    let today = app.get_json(&lib.token, "/api/v1/today").await;
    let shown: Vec<_> = today["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["meal_type"]["name"].clone(),
                s["time"].clone(),
                s["is_next"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (json!("Lunch"), json!("06:45"), json!(true)),
            (json!("Breakfast"), json!("10:15"), json!(false)),
        ]
    );
}
