//! Day templates: slots, previews, soft limits, delete rules, differences 1.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn templates_list_their_slot_count_and_arrow_preview() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let list = app.get_json(&lib.token, "/api/v1/day-templates").await;
    let t = &list[0];
    assert_eq!(t["slot_count"], 2);
    assert_eq!(t["slot_preview"], "Breakfast → Lunch");
    assert_eq!(
        (t["max_calories_kcal"].clone(), t["max_protein_g"].clone()),
        (json!(null), json!(null))
    );
    let empty = app
        .create(
            &lib.token,
            "/api/v1/day-templates",
            json!({"name": "Empty"}),
        )
        .await;
    assert_eq!(empty["slots"], json!([]));
    let list = app.get_json(&lib.token, "/api/v1/day-templates").await;
    assert_eq!(list[0]["name"], "Empty");
    assert_eq!(list[0]["slot_preview"], json!(null));
}

#[tokio::test]
async fn slots_come_back_in_position_order_with_their_meal_types() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = app
        .create(&lib.token, "/api/v1/day-templates", json!({"name": "Reverse", "notes": "test", "slots": [
            {"position": 3, "meal_type_id": lib.types["Breakfast"]}, {"position": 1, "meal_type_id": lib.types["Lunch"]}]}))
        .await;
    let got = app
        .get_json(
            &lib.token,
            &format!("/api/v1/day-templates/{}", t["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(got["notes"], "test");
    assert_eq!(got["slots"][0]["position"], 1);
    assert_eq!(got["slots"][0]["meal_type"]["name"], "Lunch");
    assert_eq!(got["slots"][1]["position"], 3);
}

#[tokio::test]
async fn soft_limits_are_echoed_updated_cleared_and_kept_when_omitted() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = app
        .create(
            &lib.token,
            "/api/v1/day-templates",
            json!({"name": "Cut", "max_calories_kcal": 2200, "max_protein_g": "180"}),
        )
        .await;
    assert_eq!(
        (t["max_calories_kcal"].clone(), t["max_protein_g"].clone()),
        (json!(2200), json!("180.0"))
    );
    let url = format!("/api/v1/day-templates/{}", t["id"].as_str().unwrap());
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"max_calories_kcal": 1800, "max_protein_g": 150.5}))
        .send()
        .await;
    assert_eq!(
        (
            r.json()["max_calories_kcal"].clone(),
            r.json()["max_protein_g"].clone()
        ),
        (json!(1800), json!("150.5"))
    );
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"name": "Cutting"}))
        .send()
        .await;
    assert_eq!(
        (
            r.json()["name"].clone(),
            r.json()["max_calories_kcal"].clone(),
            r.json()["max_protein_g"].clone()
        ),
        (json!("Cutting"), json!(1800), json!("150.5"))
    );
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"max_calories_kcal": null, "max_protein_g": null}))
        .send()
        .await;
    assert_eq!(
        (
            r.json()["max_calories_kcal"].clone(),
            r.json()["max_protein_g"].clone()
        ),
        (json!(null), json!(null))
    );
    for bad in [
        json!({"max_calories_kcal": 0}),
        json!({"max_protein_g": -1}),
        json!({"max_calories_kcal": "many"}),
    ] {
        app.put(&url)
            .bearer(&lib.token)
            .json(bad)
            .send()
            .await
            .assert(StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn updating_slots_replaces_them_and_renaming_keeps_them() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let url = format!("/api/v1/day-templates/{}", lib.template);
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"name": "Office day"}))
        .send()
        .await;
    assert_eq!(r.json()["slots"].as_array().unwrap().len(), 2);
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"slots": [{"position": 1, "meal_type_id": lib.types["Lunch"]}]}))
        .send()
        .await;
    let slots = r.json()["slots"].clone();
    assert_eq!(slots.as_array().unwrap().len(), 1);
    assert_eq!(slots[0]["meal_type"]["name"], "Lunch");
}

#[tokio::test]
async fn bad_templates_get_4xx_not_500_and_store_nothing() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let before = count(&app, "SELECT COUNT(*) FROM day_templates").await;
    let r = app
        .post("/api/v1/day-templates")
        .bearer(&lib.token)
        .json(json!({"name": "Workday"}))
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(
        r.json(),
        json!({"detail": "Day template with this name already exists"})
    );
    let dup = json!({"name": "Dup", "slots": [{"position": 1, "meal_type_id": lib.types["Lunch"]}, {"position": 1, "meal_type_id": lib.types["Breakfast"]}]});
    let r = app
        .post("/api/v1/day-templates")
        .bearer(&lib.token)
        .json(dup)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.detail()[0]["loc"],
        json!(["body", "slots", 1, "position"])
    );
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .post("/api/v1/day-templates")
        .bearer(&lib.token)
        .json(json!({"name": "X", "slots": [{"position": 1, "meal_type_id": unknown}]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": format!("Meal type with id {unknown} not found")})
    );
    app.post("/api/v1/day-templates")
        .bearer(&lib.token)
        .json(json!({"name": "X", "slots": [{"position": 0, "meal_type_id": lib.types["Lunch"]}]}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/api/v1/day-templates")
        .bearer(&lib.token)
        .json(json!({"notes": "no name"}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM day_templates").await,
        before
    );
    let r = app
        .put(&format!("/api/v1/day-templates/{}", uuid::Uuid::new_v4()))
        .bearer(&lib.token)
        .json(json!({"name": "x"}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), json!({"detail": "Day template not found"}));
}

#[tokio::test]
async fn a_template_in_a_week_plan_cannot_be_deleted_and_generated_days_survive_deletion() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .delete(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(
        r.json(),
        json!({"detail": "Cannot delete day template that is used by week plans"})
    );
    app.generate(&lib.token, "2026-11-16").await;
    app.delete(&format!("/api/v1/week-plans/{}", lib.plan))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    app.delete(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    let week = app
        .get_json(&lib.token, "/api/v1/weekly-plans/current")
        .await;
    assert_eq!(week["week_plan"], json!(null));
    assert_eq!(week["days"][0]["template"], json!(null));
    assert_eq!(week["days"][0]["slots"].as_array().unwrap().len(), 2);
}
