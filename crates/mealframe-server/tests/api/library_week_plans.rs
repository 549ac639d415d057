//! Week plans: defaults, days, validation.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn the_first_plan_is_the_default_and_setting_a_default_moves_the_flag() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let plan = app
        .get_json(&lib.token, &format!("/api/v1/week-plans/{}", lib.plan))
        .await;
    assert_eq!(
        plan["is_default"], true,
        "the first plan is forced to default"
    );
    assert_eq!(plan["days"].as_array().unwrap().len(), 5);
    assert_eq!(
        (
            plan["days"][0]["weekday"].clone(),
            plan["days"][0]["weekday_name"].clone()
        ),
        (json!(0), json!("Monday"))
    );
    assert_eq!(plan["days"][4]["weekday_name"], "Friday");
    assert_eq!(plan["days"][0]["day_template"]["name"], "Workday");

    let second = app
        .create(
            &lib.token,
            "/api/v1/week-plans",
            json!({"name": "Alt", "days": [{"weekday": 6, "day_template_id": lib.template}]}),
        )
        .await;
    assert_eq!(second["is_default"], false);
    let list = app.get_json(&lib.token, "/api/v1/week-plans").await;
    assert_eq!(
        list,
        json!([
            {"id": second["id"], "name": "Alt", "is_default": false, "day_count": 1},
            {"id": lib.plan, "name": "Default", "is_default": true, "day_count": 5},
        ])
    );

    let third = app
        .create(
            &lib.token,
            "/api/v1/week-plans",
            json!({"name": "Third", "is_default": true}),
        )
        .await;
    assert_eq!(third["is_default"], true);
    assert_eq!(
        app.get_json(&lib.token, &format!("/api/v1/week-plans/{}", lib.plan))
            .await["is_default"],
        false
    );

    let r = app
        .post(&format!(
            "/api/v1/week-plans/{}/set-default",
            second["id"].as_str().unwrap()
        ))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["is_default"], true);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM week_plans WHERE is_default = TRUE"
        )
        .await,
        1
    );

    let r = app
        .put(&format!(
            "/api/v1/week-plans/{}",
            second["id"].as_str().unwrap()
        ))
        .bearer(&lib.token)
        .json(json!({"is_default": false}))
        .send()
        .await;
    assert_eq!(r.json()["is_default"], false);
    let r = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": {"error": {"code": "VALIDATION_ERROR", "message": "No default week plan available"}}})
    );
}

#[tokio::test]
async fn days_are_replaced_and_validated() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let url = format!("/api/v1/week-plans/{}", lib.plan);
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"name": "Renamed"}))
        .send()
        .await;
    assert_eq!(
        (
            r.json()["name"].clone(),
            r.json()["days"].as_array().unwrap().len()
        ),
        (json!("Renamed"), 5)
    );
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"days": [{"weekday": 0, "day_template_id": lib.template}]}))
        .send()
        .await;
    assert_eq!(r.json()["days"].as_array().unwrap().len(), 1);

    let r = app
        .post("/api/v1/week-plans")
        .bearer(&lib.token)
        .json(json!({"name": "Bad", "days": [{"weekday": 7, "day_template_id": lib.template}]}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "enum");
    assert_eq!(
        r.detail()[0]["msg"],
        "Input should be 0, 1, 2, 3, 4, 5 or 6"
    );
    assert_eq!(r.detail()[0]["loc"], json!(["body", "days", 0, "weekday"]));
    let r = app
        .post("/api/v1/week-plans")
        .bearer(&lib.token)
        .json(json!({"name": "Dup", "days": [{"weekday": 2, "day_template_id": lib.template}, {"weekday": 2, "day_template_id": lib.template}]}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .post("/api/v1/week-plans")
        .bearer(&lib.token)
        .json(json!({"name": "X", "days": [{"weekday": 1, "day_template_id": unknown}]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": format!("Day template with id {unknown} not found")})
    );
    app.post("/api/v1/week-plans")
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM week_plans").await, 1);
}

#[tokio::test]
async fn plans_are_deleted_and_missing_plans_are_404() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.delete(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app
        .get(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), json!({"detail": "Week plan not found"}));
    app.delete(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.post(&format!("/api/v1/week-plans/{}/set-default", lib.plan))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.put(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .json(json!({}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
}
