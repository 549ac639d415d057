//! Generation, round-robin and smart regeneration (§4.2–4.4, differences 1, 2, 10).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, count},
    planning_support::meal_names,
};

#[tokio::test]
async fn generating_with_no_date_targets_the_next_monday_and_skips_unmapped_weekdays() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    let week = r.json();
    assert_eq!(week["week_start_date"], "2026-11-23");
    assert_eq!(
        week["week_plan"],
        json!({"id": lib.plan, "name": "Default"})
    );
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 5, "Saturday and Sunday are not mapped");
    assert_eq!(days[0]["date"], "2026-11-23");
    assert_eq!(days[0]["weekday"], "Monday");
    assert_eq!(days[0]["template"]["name"], "Workday");
    assert_eq!(
        days[0]["completion_summary"],
        json!({"completed": 0, "total": 2})
    );
    let slot = &days[0]["slots"][0];
    assert_eq!(
        (
            slot["position"].clone(),
            slot["meal_type"]["name"].clone(),
            slot["is_adhoc"].clone(),
            slot["completion_status"].clone()
        ),
        (json!(1), json!("Breakfast"), json!(false), json!(null))
    );
    let keys: Vec<&str> = slot
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "actual_meal",
            "completed_at",
            "completion_status",
            "id",
            "is_adhoc",
            "is_manual_override",
            "meal",
            "meal_type",
            "position"
        ]
    );
    assert_eq!(slot["meal"]["protein_g"], "12.5");
}

#[tokio::test]
async fn round_robin_rotates_in_creation_order_across_days_and_weeks() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, w1) = app.generate(&lib.token, "2026-11-16").await;
    let (_, w2) = app.generate(&lib.token, "2026-11-23").await;
    let names = |w: &Value| {
        meal_names(w)
            .into_iter()
            .map(|d| d.join("+"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&w1),
        [
            "Oats+Salad",
            "Eggs+Soup",
            "Yogurt+Salad",
            "Oats+Soup",
            "Eggs+Salad"
        ]
    );
    assert_eq!(
        names(&w2),
        [
            "Yogurt+Soup",
            "Oats+Salad",
            "Eggs+Soup",
            "Yogurt+Salad",
            "Oats+Soup"
        ]
    );
    // Over the ten days every breakfast came up equally often (±1).
    let all: Vec<String> = meal_names(&w1)
        .into_iter()
        .chain(meal_names(&w2))
        .map(|d| d[0].clone())
        .collect();
    let counts: Vec<usize> = ["Oats", "Eggs", "Yogurt"]
        .iter()
        .map(|m| all.iter().filter(|x| x == m).count())
        .collect();
    assert!(
        counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
        "{counts:?}"
    );
}

#[tokio::test]
async fn rotation_skips_ai_meals_and_new_meals_join_at_the_end() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.create(&lib.token, "/api/v1/meals", json!({"name": "Pizza", "portion_description": "x", "source": "ai_capture", "meal_type_ids": [lib.types["Lunch"]]})).await;
    app.advance(time::Duration::seconds(5));
    app.create(
        &lib.token,
        "/api/v1/meals",
        json!({"name": "Wrap", "portion_description": "x", "meal_type_ids": [lib.types["Lunch"]]}),
    )
    .await;
    let (_, w) = app.generate(&lib.token, "2026-11-16").await;
    let lunches: Vec<String> = meal_names(&w).into_iter().map(|d| d[1].clone()).collect();
    assert_eq!(lunches, ["Salad", "Soup", "Wrap", "Salad", "Soup"]);
}

#[tokio::test]
async fn a_type_without_meals_leaves_the_slot_empty() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let snack = app
        .create(&lib.token, "/api/v1/meal-types", json!({"name": "Snack"}))
        .await;
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [{"position": 1, "meal_type_id": snack["id"]}]}))
        .send()
        .await
        .assert(StatusCode::OK);
    let (status, w) = app.generate(&lib.token, "2026-11-16").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(w["days"][0]["slots"][0]["meal"], json!(null));
    assert_eq!(w["days"][0]["slots"][0]["meal_type"]["name"], "Snack");
}

#[tokio::test]
async fn the_date_must_be_a_monday_and_a_plan_must_exist() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (status, body) = app.generate(&lib.token, "2026-11-17").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"detail": {"error": {"code": "VALIDATION_ERROR", "message": "week_start_date must be a Monday, got 2026-11-17"}}})
    );
    let (status, body) = app.generate(&lib.token, "not-a-date").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "week_start_date"]));
    let r = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body"]));
    let fresh = app.signup("bob@example.com").await;
    let r = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&fresh)
        .json(json!({"week_start_date": "2026-11-16"}))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail()["error"]["message"],
        "No default week plan available"
    );
}

#[tokio::test]
async fn generating_an_existing_week_regenerates_it_even_without_a_date() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let created = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await;
    created.assert(StatusCode::CREATED);
    // Difference 1: the original answered 500 here.
    let again = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await;
    again.assert(StatusCode::OK);
    assert_eq!(again.json()["id"], created.json()["id"]);
    assert_eq!(again.json()["days"].as_array().unwrap().len(), 5);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM weekly_plan_instances").await,
        1
    );
}

#[tokio::test]
async fn smart_regeneration_rerolls_only_unmarked_unpicked_slots_from_today_on() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let slot = |d: usize, s: usize| {
        week["days"][d]["slots"][s]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Tuesday (past, unmarked), Wednesday = today: breakfast marked, lunch picked by hand.
    app.post(&format!("/api/v1/slots/{}/complete", slot(2, 0)))
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.put(&format!("/api/v1/slots/{}/reassign", slot(2, 1)))
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Salad"]}))
        .send()
        .await
        .assert(StatusCode::OK);
    let before = meal_names(
        &app.get_json(&lib.token, "/api/v1/weekly-plans/current")
            .await,
    );

    let (status, after) = app.generate(&lib.token, "2026-11-16").await;
    assert_eq!(status, StatusCode::OK);
    let after_names = meal_names(&after);
    assert_eq!(
        after_names[0..3],
        before[0..3],
        "past days, marked slots and manual picks are kept"
    );
    assert_ne!(
        after_names[3..],
        before[3..],
        "Thursday and Friday were re-rolled"
    );
    assert_eq!(
        after["days"][2]["slots"][0]["completion_status"],
        "followed"
    );
    assert_eq!(after["days"][2]["slots"][1]["is_manual_override"], true);
    assert_eq!(
        after["days"][2]["slots"][0]["id"], week["days"][2]["slots"][0]["id"],
        "slots are updated, never replaced"
    );
}

#[tokio::test]
async fn concurrent_generation_of_one_week_creates_it_once_and_never_fails() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let lib = app.seed("ana@example.com").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        let token = lib.token.clone();
        tasks.push(tokio::spawn(async move {
            app.generate(&token, "2026-11-30").await.0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM weekly_plan_instances").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM weekly_plan_slots").await,
        10
    );
}

#[tokio::test]
async fn the_current_week_view_normalises_dates_and_404s_without_a_plan() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .get("/api/v1/weekly-plans/current")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": {"error": {"code": "NOT_FOUND", "message": "No plan exists for the current week"}}})
    );
    app.generate(&lib.token, "2026-11-23").await;
    let w = app
        .get_json(
            &lib.token,
            "/api/v1/weekly-plans/current?week_start_date=2026-11-26",
        )
        .await;
    assert_eq!(w["week_start_date"], "2026-11-23");
    let r = app
        .get("/api/v1/weekly-plans/current?week_start_date=2099-01-04")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.detail()["error"]["message"],
        "No plan exists for week starting 2099-01-04"
    );
    let r = app
        .get("/api/v1/weekly-plans/current?week_start_date=soon")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["query", "week_start_date"]));
}
