//! Today, yesterday and streaks (§4.6, differences 8 and 11).

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

async fn mark_day(app: &TestApp, token: &str, date: &str, status: &str) {
    let week = app
        .get_json(
            token,
            &format!("/api/v1/weekly-plans/current?week_start_date={date}"),
        )
        .await;
    let day = week["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap()
        .clone();
    for s in day["slots"].as_array().unwrap() {
        app.post(&format!(
            "/api/v1/slots/{}/complete",
            s["id"].as_str().unwrap()
        ))
        .bearer(token)
        .json(json!({ "status": status }))
        .send()
        .await
        .assert(StatusCode::OK);
    }
}

#[tokio::test]
async fn today_without_a_plan_is_an_empty_200() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = app.get("/api/v1/today").bearer(&token).send().await;
    r.assert(StatusCode::OK);
    let t = r.json();
    assert_eq!(
        (
            t["date"].clone(),
            t["weekday"].clone(),
            t["template"].clone()
        ),
        (json!("2026-11-18"), json!("Wednesday"), json!(null))
    );
    assert_eq!(
        (
            t["is_override"].clone(),
            t["override_reason"].clone(),
            t["slots"].clone()
        ),
        (json!(false), json!(null), json!([]))
    );
    assert_eq!(
        t["stats"],
        json!({"completed": 0, "total": 0, "streak_days": 0})
    );
    app.get("/api/v1/today")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn is_next_marks_the_first_unmarked_slot_and_completed_counts_any_status() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(t["template"]["name"], "Workday");
    assert_eq!(t["slots"][0]["is_next"], true);
    assert_eq!(t["slots"][1]["is_next"], false);
    let first = t["slots"][0]["id"].as_str().unwrap();
    app.post(&format!("/api/v1/slots/{first}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "skipped"}))
        .send()
        .await;
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(
        (
            t["slots"][0]["is_next"].clone(),
            t["slots"][1]["is_next"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(t["stats"]["completed"], 1);
    assert_eq!(t["stats"]["total"], 2);
    let y = app.get_json(&lib.token, "/api/v1/yesterday").await;
    assert_eq!(
        (y["date"].clone(), y["weekday"].clone()),
        (json!("2026-11-17"), json!("Tuesday"))
    );
    assert_eq!(y["slots"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_streak_counts_complete_days_before_today_and_an_unmarked_day_breaks_it() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    mark_day(&app, &lib.token, "2026-11-16", "followed").await;
    mark_day(&app, &lib.token, "2026-11-17", "skipped").await;
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["stats"]["streak_days"],
        2
    );
    let y = app.get_json(&lib.token, "/api/v1/yesterday").await;
    assert_eq!(y["stats"]["streak_days"], 1);
    // Unmark one of yesterday's slots: the streak is gone.
    let slot = y["slots"][0]["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/slots/{slot}/complete"))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["stats"]["streak_days"],
        0
    );
}

#[tokio::test]
async fn a_streak_longer_than_two_weeks_is_counted_in_full() {
    // The day view reads two weeks of tallies first and the year only when the streak reaches
    // past them: this streak (16 tracked weekdays, weekends "No Plan") needs the year.
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    for monday in ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"] {
        app.generate(&lib.token, monday).await;
    }
    let marked = [
        "2026-10-27",
        "2026-10-28",
        "2026-10-29",
        "2026-10-30",
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
        "2026-11-05",
        "2026-11-06",
        "2026-11-09",
        "2026-11-10",
        "2026-11-11",
        "2026-11-12",
        "2026-11-13",
        "2026-11-16",
        "2026-11-17",
    ];
    for d in marked {
        mark_day(&app, &lib.token, d, "followed").await;
    }
    for d in [
        "2026-10-31",
        "2026-11-01",
        "2026-11-07",
        "2026-11-08",
        "2026-11-14",
        "2026-11-15",
    ] {
        app.put(&format!("/api/v1/weekly-plans/current/days/{d}/override"))
            .bearer(&lib.token)
            .json(json!({}))
            .send()
            .await
            .assert(StatusCode::OK);
    }
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["stats"]["streak_days"],
        16
    );
    let stats = app.get_json(&lib.token, "/api/v1/stats?days=30").await;
    assert_eq!(stats["current_streak"], 16);
}

#[tokio::test]
async fn a_no_plan_day_pauses_the_streak_instead_of_breaking_it() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-09").await;
    app.generate(&lib.token, "2026-11-16").await;
    mark_day(&app, &lib.token, "2026-11-13", "followed").await;
    // The weekend is unmapped (no day records): make it "No Plan" days.
    for d in ["2026-11-14", "2026-11-15"] {
        app.put(&format!("/api/v1/weekly-plans/current/days/{d}/override"))
            .bearer(&lib.token)
            .json(json!({"reason": "weekend away"}))
            .send()
            .await
            .assert(StatusCode::OK);
    }
    mark_day(&app, &lib.token, "2026-11-16", "followed").await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-17/override")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["stats"]["streak_days"],
        2
    );
    let stats = app.get_json(&lib.token, "/api/v1/stats?days=30").await;
    assert_eq!(
        (
            stats["current_streak"].clone(),
            stats["best_streak"].clone()
        ),
        (json!(2), json!(2))
    );
}

#[tokio::test]
async fn today_is_the_users_calendar_day_in_their_time_zone() {
    let app = TestApp::builder()
        .now(dbkit::Timestamp::from(
            time::macros::datetime!(2026-11-18 23:30 UTC),
        ))
        .build()
        .await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["date"],
        "2026-11-18"
    );
    app.patch("/api/v1/auth/me")
        .bearer(&lib.token)
        .json(json!({"timezone": "Europe/Ljubljana"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(
        (t["date"].clone(), t["weekday"].clone()),
        (json!("2026-11-19"), json!("Thursday"))
    );
    app.patch("/api/v1/auth/me")
        .bearer(&lib.token)
        .json(json!({"timezone": "America/Los_Angeles"}))
        .send()
        .await;
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["date"],
        "2026-11-18"
    );
    // "Next Monday" follows the user's day too: Sunday night in Tokyo is already Monday.
    let app2 = TestApp::builder()
        .now(dbkit::Timestamp::from(
            time::macros::datetime!(2026-11-22 16:00 UTC),
        ))
        .build()
        .await;
    let lib2 = app2.seed("bob@example.com").await;
    app2.patch("/api/v1/auth/me")
        .bearer(&lib2.token)
        .json(json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await;
    let r = app2
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib2.token)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.json()["week_start_date"], "2026-11-30");
}

#[tokio::test]
async fn today_reports_planned_and_eaten_macros_and_soft_limits() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"max_calories_kcal": 600}))
        .send()
        .await;
    app.generate(&lib.token, "2026-11-16").await;
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    // Wednesday: Yogurt (200 kcal, 15 g) + Salad (450 kcal, 30 g).
    assert_eq!(t["macros"]["planned"]["calories_kcal"], 650);
    assert_eq!(t["macros"]["planned"]["protein_g"], "45.0");
    assert_eq!(t["macros"]["eaten"]["calories_kcal"], 0);
    assert_eq!(
        t["limits"],
        json!({"max_calories_kcal": 600, "max_protein_g": null, "over_planned": true, "over_eaten": false})
    );
    let breakfast = t["slots"][0]["id"].as_str().unwrap();
    let lunch = t["slots"][1]["id"].as_str().unwrap();
    app.post(&format!("/api/v1/slots/{breakfast}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    app.post(&format!("/api/v1/slots/{lunch}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "deviated", "actual_meal_id": lib.meals["Soup"]}))
        .send()
        .await;
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(t["macros"]["eaten"]["calories_kcal"], 580);
    assert_eq!(t["limits"]["over_eaten"], false);
}
