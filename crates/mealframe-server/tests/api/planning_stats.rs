//! Stats (§4.8, differences 11 and 12).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn mark(app: &TestApp, token: &str, slot: &Value, status: &str, actual: Option<&str>) {
    let mut body = json!({ "status": status });
    if let Some(a) = actual {
        body["actual_meal_id"] = json!(a);
    }
    app.post(&format!(
        "/api/v1/slots/{}/complete",
        slot["id"].as_str().unwrap()
    ))
    .bearer(token)
    .json(body)
    .send()
    .await
    .assert(StatusCode::OK);
}

#[tokio::test]
async fn the_response_has_every_field_and_validates_days() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let s = app.get_json(&token, "/api/v1/stats").await;
    for key in [
        "period_days",
        "total_slots",
        "completed_slots",
        "by_status",
        "adherence_rate",
        "current_streak",
        "best_streak",
        "override_days",
        "by_meal_type",
        "daily_adherence",
        "avg_daily_calories",
        "avg_daily_protein",
        "over_limit_days",
        "days_with_limits",
        "over_limit_breakdown",
        "avg_daily_eaten_calories",
        "avg_daily_eaten_protein",
        "eaten_over_limit_days",
        "daily_macros",
    ] {
        assert!(s.get(key).is_some(), "{key} missing");
    }
    assert_eq!(s["period_days"], 30);
    assert_eq!(
        s["by_status"],
        json!({"followed": 0, "equivalent": 0, "skipped": 0, "deviated": 0, "social": 0, "unmarked": 0})
    );
    assert_eq!(
        (s["adherence_rate"].clone(), s["avg_daily_calories"].clone()),
        (json!("0"), json!(null))
    );
    assert_eq!(
        (
            s["over_limit_days"].clone(),
            s["days_with_limits"].clone(),
            s["over_limit_breakdown"].clone()
        ),
        (json!(0), json!(0), json!([]))
    );
    assert_eq!(
        app.get_json(&token, "/api/v1/stats?days=7").await["period_days"],
        7
    );
    for bad in ["0", "366", "400", "x"] {
        let r = app
            .get(&format!("/api/v1/stats?days={bad}"))
            .bearer(&token)
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.detail()[0]["loc"], json!(["query", "days"]));
    }
}

#[tokio::test]
async fn statuses_adherence_per_type_and_per_day() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let slot = |d: usize, s: usize| week["days"][d]["slots"][s].clone();
    mark(&app, &lib.token, &slot(0, 0), "followed", None).await;
    mark(&app, &lib.token, &slot(0, 1), "followed", None).await;
    mark(&app, &lib.token, &slot(1, 0), "followed", None).await;
    mark(&app, &lib.token, &slot(1, 1), "skipped", None).await;
    mark(&app, &lib.token, &slot(2, 0), "equivalent", None).await;
    mark(&app, &lib.token, &slot(2, 1), "social", None).await;
    // Friday is in the future: excluded.
    mark(&app, &lib.token, &slot(4, 0), "deviated", None).await;
    let s = app.get_json(&lib.token, "/api/v1/stats?days=7").await;
    assert_eq!(
        (s["total_slots"].clone(), s["completed_slots"].clone()),
        (json!(6), json!(6))
    );
    assert_eq!(
        s["by_status"],
        json!({"followed": 3, "equivalent": 1, "skipped": 1, "deviated": 0, "social": 1, "unmarked": 0})
    );
    assert_eq!(s["adherence_rate"], "0.750");
    let types: Vec<(String, String)> = s["by_meal_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().into(),
                t["adherence_rate"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            ("Lunch".into(), "0.500".into()),
            ("Breakfast".into(), "1.000".into())
        ]
    );
    let days: Vec<(String, String)> = s["daily_adherence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().into(),
                d["adherence_rate"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-11-16".into(), "1.000".into()),
            ("2026-11-17".into(), "0.500".into()),
            ("2026-11-18".into(), "0".into())
        ]
    );
    // Today is complete but never counts for the current streak; the best streak includes it.
    assert_eq!(
        (s["current_streak"].clone(), s["best_streak"].clone()),
        (json!(2), json!(3))
    );
}

#[tokio::test]
async fn planned_and_eaten_macro_averages() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let slot = |d: usize, s: usize| week["days"][d]["slots"][s].clone();
    // Monday: Oats 350/12.5 + Salad 450/30.0. Tuesday: Eggs 320/18.0 + Soup 380/20.0. Wednesday: Yogurt 200/15.0 + Salad 450/30.0.
    mark(&app, &lib.token, &slot(0, 0), "followed", None).await;
    mark(&app, &lib.token, &slot(0, 1), "skipped", None).await;
    mark(
        &app,
        &lib.token,
        &slot(1, 0),
        "deviated",
        Some(&lib.meals["Salad"]),
    )
    .await;
    mark(&app, &lib.token, &slot(1, 1), "equivalent", None).await;
    let s = app.get_json(&lib.token, "/api/v1/stats?days=7").await;
    // Planned (status irrelevant): (800 + 700 + 650) / 3 = 716.67 → "717"; (42.5 + 38.0 + 45.0) / 3 = 41.83 → "41.8".
    assert_eq!(
        (
            s["avg_daily_calories"].clone(),
            s["avg_daily_protein"].clone()
        ),
        (json!("717"), json!("41.8"))
    );
    // Eaten: Monday 350/12.5 (followed), Tuesday 450/30.0 (the deviated slot's actual meal), Wednesday nothing marked.
    assert_eq!(
        (
            s["avg_daily_eaten_calories"].clone(),
            s["avg_daily_eaten_protein"].clone()
        ),
        (json!("400"), json!("21.3"))
    );
    let monday = &s["daily_macros"][0];
    assert_eq!(
        (
            monday["planned"]["calories_kcal"].clone(),
            monday["eaten"]["calories_kcal"].clone()
        ),
        (json!(800), json!(350))
    );
}

#[tokio::test]
async fn soft_limits_count_days_over_by_template_and_skip_no_plan_days() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let tight = app
        .create(&lib.token, "/api/v1/day-templates", json!({"name": "Tight", "max_calories_kcal": 700, "max_protein_g": 40, "slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"]}, {"position": 2, "meal_type_id": lib.types["Lunch"]}]}))
        .await;
    app.put(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .json(json!({"days": (0..5).map(|d| json!({"weekday": d, "day_template_id": tight["id"]})).collect::<Vec<_>>()}))
        .send()
        .await;
    app.generate(&lib.token, "2026-11-16").await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-17/override")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await;
    let s = app.get_json(&lib.token, "/api/v1/stats?days=7").await;
    // Monday 800 kcal / 42.5 g (both over); Wednesday 650 kcal / 45.0 g (protein over); Tuesday is No Plan.
    assert_eq!(
        (
            s["days_with_limits"].clone(),
            s["over_limit_days"].clone(),
            s["override_days"].clone()
        ),
        (json!(2), json!(2), json!(1))
    );
    assert_eq!(
        s["over_limit_breakdown"],
        json!([{"template_name": "Tight", "days_over": 2, "total_days": 2, "exceeded_metric": "both"}])
    );
    assert_eq!(s["eaten_over_limit_days"], 0);
}
