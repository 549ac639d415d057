//! Meal types: CRUD, per-user unique names, delete rules, counts.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

#[tokio::test]
async fn meal_types_are_created_listed_by_name_and_counted_per_user() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = app
        .create(
            &lib.token,
            "/api/v1/meal-types",
            json!({"name": "Afternoon", "description": "4 pm", "tags": ["morning", "energy"]}),
        )
        .await;
    assert_eq!(t["name"], "Afternoon");
    assert_eq!(t["description"], "4 pm");
    assert_eq!(t["tags"], json!(["morning", "energy"]));
    assert!(t["created_at"].as_str().unwrap().ends_with("+00:00"));
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");

    let minimal = app
        .create(&lib.token, "/api/v1/meal-types", json!({"name": "Snack"}))
        .await;
    assert_eq!(
        (minimal["description"].clone(), minimal["tags"].clone()),
        (json!(null), json!([]))
    );

    let list = app.get_json(&lib.token, "/api/v1/meal-types").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Afternoon", "Breakfast", "Lunch", "Snack"]);
    let breakfast = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Breakfast")
        .unwrap();
    assert_eq!(breakfast["meal_count"], 3);

    // Another user's meals never count (difference 2).
    let bob = app.seed("bob@example.com").await;
    app.create(&bob.token, "/api/v1/meals", json!({"name": "Toast", "portion_description": "1 slice", "meal_type_ids": [bob.types["Breakfast"]]})).await;
    let list = app.get_json(&lib.token, "/api/v1/meal-types").await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Breakfast")
            .unwrap()["meal_count"],
        3
    );
}

#[tokio::test]
async fn a_taken_name_is_a_409_and_changes_nothing() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .post("/api/v1/meal-types")
        .bearer(&lib.token)
        .json(json!({"name": "Breakfast"}))
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(
        r.json(),
        json!({"detail": "Meal type with this name already exists"})
    );
    app.create(
        &lib.token,
        "/api/v1/meal-types",
        json!({"name": "breakfast"}),
    )
    .await;
    let r = app
        .put(&format!("/api/v1/meal-types/{}", lib.types["Lunch"]))
        .bearer(&lib.token)
        .json(json!({"name": "Breakfast"}))
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(
        app.get_json(
            &lib.token,
            &format!("/api/v1/meal-types/{}", lib.types["Lunch"])
        )
        .await["name"],
        "Lunch"
    );
    // Names are per user.
    let bob = app.signup("bob@example.com").await;
    app.create(&bob, "/api/v1/meal-types", json!({"name": "Breakfast"}))
        .await;
}

#[tokio::test]
async fn meal_type_validation_and_not_found() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .post("/api/v1/meal-types")
        .bearer(&lib.token)
        .json(json!({"description": "no name"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "name"]));
    app.post("/api/v1/meal-types")
        .bearer(&lib.token)
        .json(json!({"name": ""}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/api/v1/meal-types")
        .bearer(&lib.token)
        .json(json!({"name": "x".repeat(256)}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .get(&format!("/api/v1/meal-types/{unknown}"))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), json!({"detail": "Meal type not found"}));
    app.put(&format!("/api/v1/meal-types/{unknown}"))
        .bearer(&lib.token)
        .json(json!({"name": "x"}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.delete(&format!("/api/v1/meal-types/{unknown}"))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    let r = app
        .get("/api/v1/meal-types/not-a-uuid")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["type"], "uuid_parsing");
    assert_eq!(r.detail()[0]["loc"], json!(["path", "meal_type_id"]));
}

#[tokio::test]
async fn updates_change_given_fields_and_nulls_leave_them() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let id = &lib.types["Lunch"];
    app.put(&format!("/api/v1/meal-types/{id}"))
        .bearer(&lib.token)
        .json(json!({"description": "midday", "tags": ["a"]}))
        .send()
        .await
        .assert(StatusCode::OK);
    let r = app
        .put(&format!("/api/v1/meal-types/{id}"))
        .bearer(&lib.token)
        .json(json!({"name": "Big Lunch", "description": null, "tags": null}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        (
            r.json()["name"].clone(),
            r.json()["description"].clone(),
            r.json()["tags"].clone()
        ),
        (json!("Big Lunch"), json!("midday"), json!(["a"]))
    );
    let r = app
        .put(&format!("/api/v1/meal-types/{id}"))
        .bearer(&lib.token)
        .json(json!({"tags": ["b", "c"]}))
        .send()
        .await;
    assert_eq!(r.json()["tags"], json!(["b", "c"]));
}

#[tokio::test]
async fn a_type_used_by_a_template_cannot_be_deleted_but_one_used_in_generation_can() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .delete(&format!("/api/v1/meal-types/{}", lib.types["Lunch"]))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::CONFLICT);
    assert_eq!(
        r.json(),
        json!({"detail": "Cannot delete meal type that is used by day template slots"})
    );

    app.generate(&lib.token, "2026-11-16").await;
    assert!(count(&app, "SELECT COUNT(*) FROM round_robin_states").await > 0);
    // Take Lunch out of the template: it took part in generation, but nothing uses it now (difference 7).
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [{"position": 1, "meal_type_id": lib.types["Breakfast"]}]}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.delete(&format!("/api/v1/meal-types/{}", lib.types["Lunch"]))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/meal-types/{}", lib.types["Lunch"]))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    // Generated slots keep existing without a type; the meals stay in the library.
    let week = app
        .get_json(&lib.token, "/api/v1/weekly-plans/current")
        .await;
    assert_eq!(week["days"][0]["slots"][1]["meal_type"], json!(null));
    assert_eq!(
        app.get_json(&lib.token, &format!("/api/v1/meals/{}", lib.meals["Soup"]))
            .await["meal_types"],
        json!([])
    );
}
