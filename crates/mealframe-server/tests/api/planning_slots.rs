//! Slots: completion, ad-hoc meals, deletion and reassignment (§4.7, differences 1 and 2).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, count},
    planning_support::Library,
};

async fn today_slots(app: &TestApp, lib: &Library) -> Vec<Value> {
    app.generate(&lib.token, "2026-11-16").await;
    app.get_json(&lib.token, "/api/v1/today").await["slots"]
        .as_array()
        .unwrap()
        .clone()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

#[tokio::test]
async fn every_status_is_accepted_and_echoed() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let slots = today_slots(&app, &lib).await;
    let url = format!("/api/v1/slots/{}/complete", id(&slots[0]));
    for status in ["followed", "equivalent", "skipped", "deviated", "social"] {
        let r = app
            .post(&url)
            .bearer(&lib.token)
            .json(json!({ "status": status }))
            .send()
            .await;
        r.assert(StatusCode::OK);
        let body = r.json();
        assert_eq!(
            (
                body["id"].clone(),
                body["completion_status"].clone(),
                body["actual_meal"].clone()
            ),
            (slots[0]["id"].clone(), json!(status), json!(null))
        );
        assert_eq!(body["completed_at"], "2026-11-18T12:00:05+00:00");
        assert_eq!(body.as_object().unwrap().len(), 4);
    }
    for bad in [
        json!({"status": "adjusted"}),
        json!({"status": "replaced"}),
        json!({}),
        json!({"status": null}),
    ] {
        let r = app
            .post(&url)
            .bearer(&lib.token)
            .json(bad.clone())
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.detail()[0]["loc"], json!(["body", "status"]), "{bad}");
    }
    let r = app
        .post(&url)
        .bearer(&lib.token)
        .json(json!({"status": "adjusted"}))
        .send()
        .await;
    assert_eq!(
        r.detail()[0]["msg"],
        "Input should be 'followed', 'equivalent', 'skipped', 'deviated' or 'social'"
    );
}

#[tokio::test]
async fn the_actual_meal_is_linked_checked_and_overwritten_on_every_completion() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    let slots = today_slots(&app, &lib).await;
    let url = format!("/api/v1/slots/{}/complete", id(&slots[1]));
    let r = app
        .post(&url)
        .bearer(&lib.token)
        .json(json!({"status": "deviated", "actual_meal_id": lib.meals["Eggs"]}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json()["actual_meal"],
        json!({
            "id": lib.meals["Eggs"], "name": "Eggs", "portion_description": "portion 1", "calories_kcal": 320, "protein_g": "18.0",
            "carbs_g": null, "sugar_g": null, "fat_g": null, "saturated_fat_g": null, "fiber_g": null,
        })
    );
    // Difference 1: an unknown or another user's meal is a 404, and nothing changes.
    for other in [bob.meals["Eggs"].clone(), uuid::Uuid::new_v4().to_string()] {
        let r = app
            .post(&url)
            .bearer(&lib.token)
            .json(json!({"status": "equivalent", "actual_meal_id": other}))
            .send()
            .await;
        r.assert(StatusCode::NOT_FOUND);
        assert_eq!(
            r.json(),
            json!({"detail": {"error": {"code": "NOT_FOUND", "message": format!("Meal with id {other} not found")}}})
        );
    }
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(t["slots"][1]["completion_status"], "deviated");
    assert_eq!(t["slots"][1]["actual_meal"]["name"], "Eggs");
    // Completing again without an actual meal clears it (as the original).
    let r = app
        .post(&url)
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    assert_eq!(r.json()["actual_meal"], json!(null));
}

#[tokio::test]
async fn uncompleting_clears_status_time_and_actual_meal() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let slots = today_slots(&app, &lib).await;
    let url = format!("/api/v1/slots/{}/complete", id(&slots[0]));
    app.post(&url)
        .bearer(&lib.token)
        .json(json!({"status": "equivalent", "actual_meal_id": lib.meals["Oats"]}))
        .send()
        .await;
    let r = app.delete(&url).bearer(&lib.token).send().await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"id": slots[0]["id"], "completion_status": null, "completed_at": null, "actual_meal": null})
    );
}

#[tokio::test]
async fn unknown_slots_are_404_and_malformed_ids_422() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let unknown = uuid::Uuid::new_v4();
    let expected = json!({"detail": {"error": {"code": "NOT_FOUND", "message": format!("Slot with id {unknown} not found")}}});
    let r = app
        .post(&format!("/api/v1/slots/{unknown}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), expected);
    assert_eq!(
        app.delete(&format!("/api/v1/slots/{unknown}/complete"))
            .bearer(&lib.token)
            .send()
            .await
            .json(),
        expected
    );
    assert_eq!(
        app.delete(&format!("/api/v1/slots/{unknown}"))
            .bearer(&lib.token)
            .send()
            .await
            .json(),
        expected
    );
    let r = app
        .put(&format!("/api/v1/slots/{unknown}/reassign"))
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Oats"]}))
        .send()
        .await;
    assert_eq!(r.json(), expected);
    let r = app
        .post("/api/v1/slots/xyz/complete")
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["path", "slot_id"]));
}

#[tokio::test]
async fn past_and_future_slots_can_be_marked() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    for day in [0, 4] {
        let s = week["days"][day]["slots"][0]["id"].as_str().unwrap();
        app.post(&format!("/api/v1/slots/{s}/complete"))
            .bearer(&lib.token)
            .json(json!({"status": "followed"}))
            .send()
            .await
            .assert(StatusCode::OK);
    }
}

#[tokio::test]
async fn adhoc_meals_are_added_after_the_last_slot_and_only_they_can_be_removed() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let slots = today_slots(&app, &lib).await;
    let ai = app.create(&lib.token, "/api/v1/meals", json!({"name": "Pizza", "portion_description": "2 slices", "source": "ai_capture", "meal_type_ids": [lib.types["Lunch"]]})).await;
    let r = app
        .post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": ai["id"]}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    let added = r.json();
    assert_eq!(
        (
            added["position"].clone(),
            added["is_adhoc"].clone(),
            added["is_next"].clone()
        ),
        (json!(3), json!(true), json!(false))
    );
    assert_eq!(
        (
            added["meal"]["name"].clone(),
            added["meal_type"]["name"].clone(),
            added["actual_meal"].clone()
        ),
        (json!("Pizza"), json!("Lunch"), json!(null))
    );
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(t["slots"].as_array().unwrap().len(), 3);

    let r = app
        .delete(&format!("/api/v1/slots/{}", id(&slots[0])))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(
        r.json(),
        json!({"detail": {"error": {"code": "FORBIDDEN", "message": "Only ad-hoc slots can be deleted"}}})
    );
    app.delete(&format!("/api/v1/slots/{}", id(&added)))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_json(&lib.token, "/api/v1/today").await["slots"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn adhoc_meals_need_a_generated_week_and_the_callers_meal() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    let expected = json!({"detail": {"error": {"code": "NOT_FOUND", "message": "No weekly plan exists for today, or meal not found"}}});
    let r = app
        .post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Oats"]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), expected);
    app.generate(&lib.token, "2026-11-16").await;
    let r = app
        .post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": bob.meals["Oats"]}))
        .send()
        .await;
    assert_eq!(r.json(), expected);
    app.post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": "nope"}))
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM weekly_plan_slots WHERE is_adhoc = TRUE"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn adhoc_meals_can_be_logged_on_a_no_plan_day_and_show_up() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    app.put("/api/v1/weekly-plans/current/days/2026-11-18/override")
        .bearer(&lib.token)
        .json(json!({"reason": "birthday"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let r = app
        .post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Salad"]}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.json()["position"], 0, "an empty day starts at position 0");
    let t = app.get_json(&lib.token, "/api/v1/today").await;
    assert_eq!(t["is_override"], true);
    assert_eq!(t["override_reason"], "birthday");
    assert_eq!(t["slots"][0]["meal"]["name"], "Salad");
    // The weekend has no day record: logging there creates one (the original's slot vanished).
    let r = app
        .post("/api/v1/today/slots")
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Soup"], "date": "2026-11-21"}))
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    let week = app
        .get_json(&lib.token, "/api/v1/weekly-plans/current")
        .await;
    let saturday = week["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2026-11-21")
        .unwrap()
        .clone();
    assert_eq!(saturday["slots"][0]["meal"]["name"], "Soup");
}

#[tokio::test]
async fn reassigning_puts_a_meal_by_hand_and_clears_the_mark() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let slots = today_slots(&app, &lib).await;
    let breakfast = id(&slots[0]).to_owned();
    app.post(&format!("/api/v1/slots/{breakfast}/complete"))
        .bearer(&lib.token)
        .json(json!({"status": "followed"}))
        .send()
        .await;
    let states_before = count(&app, "SELECT COUNT(*) FROM round_robin_states").await;
    let r = app
        .put(&format!("/api/v1/slots/{breakfast}/reassign"))
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Eggs"]}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    let s = r.json();
    assert_eq!(
        (
            s["meal"]["name"].clone(),
            s["is_manual_override"].clone(),
            s["is_next"].clone(),
            s["actual_meal"].clone()
        ),
        (json!("Eggs"), json!(true), json!(false), json!(null))
    );
    assert_eq!(
        (s["completion_status"].clone(), s["completed_at"].clone()),
        (json!(null), json!(null))
    );
    assert_eq!(
        (
            s["id"].clone(),
            s["position"].clone(),
            s["is_adhoc"].clone()
        ),
        (slots[0]["id"].clone(), json!(1), json!(false))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM round_robin_states").await,
        states_before
    );

    // Changing the type too.
    let r = app
        .put(&format!("/api/v1/slots/{breakfast}/reassign"))
        .bearer(&lib.token)
        .json(json!({"meal_id": lib.meals["Soup"], "meal_type_id": lib.types["Lunch"]}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        (
            r.json()["meal"]["name"].clone(),
            r.json()["meal_type"]["name"].clone()
        ),
        (json!("Soup"), json!("Lunch"))
    );
}

#[tokio::test]
async fn reassignment_checks_run_in_the_originals_order() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let past = week["days"][0]["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let today = week["days"][2]["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown_meal = uuid::Uuid::new_v4();
    let put = |slot: &str, body: Value| {
        app.put(&format!("/api/v1/slots/{slot}/reassign"))
            .bearer(&lib.token)
            .json(body)
    };

    let r = put(&past, json!({"meal_id": unknown_meal})).send().await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail()["error"],
        json!({"code": "VALIDATION_ERROR", "message": "Cannot reassign slots from past dates"})
    );
    let r = put(&today, json!({"meal_id": unknown_meal})).send().await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.detail()["error"]["message"],
        format!("Meal with id {unknown_meal} not found")
    );
    let r = put(&today, json!({"meal_id": bob.meals["Eggs"]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    let r = put(&today, json!({"meal_id": lib.meals["Salad"]}))
        .send()
        .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.detail()["error"]["message"],
        "Meal does not belong to the specified meal type"
    );
    let r = put(
        &today,
        json!({"meal_id": lib.meals["Salad"], "meal_type_id": bob.types["Lunch"]}),
    )
    .send()
    .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.detail()["error"]["message"],
        format!("Meal type with id {} not found", bob.types["Lunch"])
    );
    // A future day is fine.
    let friday = week["days"][4]["slots"][0]["id"].as_str().unwrap();
    put(friday, json!({"meal_id": lib.meals["Yogurt"]}))
        .send()
        .await
        .assert(StatusCode::OK);
}
