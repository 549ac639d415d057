//! Meals: list, search, filters, pagination, CRUD, decimals.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

/// The names on a page of `GET /api/v1/meals{query}`.
pub(crate) async fn names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let page = app.get_json(token, &format!("/api/v1/meals{query}")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_is_paginated_by_name() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let page = app.get_json(&lib.token, "/api/v1/meals").await;
    assert_eq!(
        (
            page["total"].clone(),
            page["page"].clone(),
            page["page_size"].clone(),
            page["total_pages"].clone()
        ),
        (json!(5), json!(1), json!(20), json!(1))
    );
    assert_eq!(
        names(&app, &lib.token, "").await,
        ["Eggs", "Oats", "Salad", "Soup", "Yogurt"]
    );
    let item = &page["items"][0];
    assert_eq!(item["protein_g"], "18.0");
    assert_eq!(
        item["meal_types"],
        json!([{"id": lib.types["Breakfast"], "name": "Breakfast"}])
    );
    let p2 = app
        .get_json(&lib.token, "/api/v1/meals?page_size=2&page=3")
        .await;
    assert_eq!(
        (
            p2["total_pages"].clone(),
            p2["items"].as_array().unwrap().len()
        ),
        (json!(3), 1)
    );
    for bad in ["?page_size=101", "?page_size=0", "?page=0", "?page=x"] {
        let r = app
            .get(&format!("/api/v1/meals{bad}"))
            .bearer(&lib.token)
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.detail()[0]["loc"][0], "query");
    }
    let empty = app.signup("bob@example.com").await;
    let page = app.get_json(&empty, "/api/v1/meals").await;
    assert_eq!(
        (page["total"].clone(), page["total_pages"].clone()),
        (json!(0), json!(0))
    );
}

#[tokio::test]
async fn search_is_case_insensitive_and_treats_wildcards_literally() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    for name in [
        "100% Juice",
        "Half_and_half",
        "Chicken Wrap",
        "chicken soup",
    ] {
        app.create(
            &lib.token,
            "/api/v1/meals",
            json!({"name": name, "portion_description": "1 cup of yogurt"}),
        )
        .await;
    }
    assert_eq!(
        names(&app, &lib.token, "?search=CHICKEN").await,
        ["Chicken Wrap", "chicken soup"]
    );
    assert_eq!(names(&app, &lib.token, "?search=%25").await, ["100% Juice"]);
    assert_eq!(
        names(&app, &lib.token, "?search=_").await,
        ["Half_and_half"]
    );
    assert_eq!(
        names(&app, &lib.token, "?search=yogurt").await,
        ["Yogurt"],
        "the API searches names only"
    );
    assert_eq!(
        names(&app, &lib.token, "?search=yogurt&search_portion=true")
            .await
            .len(),
        5
    );
}

#[tokio::test]
async fn filters_by_meal_type_and_source() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.create(&lib.token, "/api/v1/meals", json!({"name": "Pizza", "portion_description": "2 slices", "source": "ai_capture", "confidence_score": 0.78, "ai_model_version": "gpt-4o"})).await;
    assert_eq!(
        names(
            &app,
            &lib.token,
            &format!("?meal_type_id={}", lib.types["Lunch"])
        )
        .await,
        ["Salad", "Soup"]
    );
    assert_eq!(
        names(&app, &lib.token, "?source=ai_capture").await,
        ["Pizza"]
    );
    assert_eq!(names(&app, &lib.token, "?source=manual").await.len(), 5);
    assert_eq!(
        names(&app, &lib.token, "?sort=calories_desc").await[0],
        "Salad"
    );
}

#[tokio::test]
async fn single_meal_routes_return_every_nutrient() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let body = json!({
        "name": "Bowl", "portion_description": "200g rice + 150g chicken", "calories_kcal": 650,
        "protein_g": 45, "carbs_g": "70.25", "sugar_g": 0.15, "fat_g": "12", "saturated_fat_g": 3.5, "fiber_g": "6.0",
        "notes": "meal prep", "meal_type_ids": [lib.types["Lunch"], lib.types["Breakfast"]],
    });
    let m = app.create(&lib.token, "/api/v1/meals", body).await;
    // Difference 6: sugar, saturated fat and fiber are returned (the original returned null).
    for (k, v) in [
        ("protein_g", "45.0"),
        ("carbs_g", "70.3"),
        ("sugar_g", "0.2"),
        ("fat_g", "12.0"),
        ("saturated_fat_g", "3.5"),
        ("fiber_g", "6.0"),
    ] {
        assert_eq!(m[k], v, "{k}");
    }
    assert_eq!(m["meal_types"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            m["source"].clone(),
            m["notes"].clone(),
            m["confidence_score"].clone()
        ),
        (json!("manual"), json!("meal prep"), json!(null))
    );
    let id = m["id"].as_str().unwrap();
    let got = app
        .get_json(&lib.token, &format!("/api/v1/meals/{id}"))
        .await;
    assert_eq!(got["sugar_g"], "0.2");
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // The original's 18, and the three of asynchronous capture (processing_status, _error, identified_items).
    assert_eq!(keys.len(), 21, "{keys:?}");

    let minimal = app
        .create(
            &lib.token,
            "/api/v1/meals",
            json!({"name": "Apple", "portion_description": "1 apple"}),
        )
        .await;
    assert_eq!(
        (
            minimal["calories_kcal"].clone(),
            minimal["meal_types"].clone()
        ),
        (json!(null), json!([]))
    );
    let ai = app.create(&lib.token, "/api/v1/meals", json!({"name": "Pizza", "portion_description": "2 slices", "source": "ai_capture", "confidence_score": "0.78"})).await;
    assert_eq!(ai["confidence_score"], "0.78");
}

#[tokio::test]
async fn invalid_meals_are_422_and_store_nothing() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let before = count(&app, "SELECT COUNT(*) FROM meals").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"portion_description": "x"}), "name"),
        (json!({"name": "x"}), "portion_description"),
        (
            json!({"name": "x", "portion_description": ""}),
            "portion_description",
        ),
        (
            json!({"name": "x", "portion_description": "y", "calories_kcal": -1}),
            "calories_kcal",
        ),
        (
            json!({"name": "x", "portion_description": "y", "calories_kcal": 12.5}),
            "calories_kcal",
        ),
        (
            json!({"name": "x", "portion_description": "y", "protein_g": -0.5}),
            "protein_g",
        ),
        (
            json!({"name": "x", "portion_description": "y", "fat_g": "NaN"}),
            "fat_g",
        ),
        (
            json!({"name": "x", "portion_description": "y", "fiber_g": 100000}),
            "fiber_g",
        ),
        (
            json!({"name": "x", "portion_description": "y", "carbs_g": "lots"}),
            "carbs_g",
        ),
        (
            json!({"name": "x", "portion_description": "y", "confidence_score": 1.5}),
            "confidence_score",
        ),
        (
            json!({"name": "x", "portion_description": "y", "source": "scraped"}),
            "source",
        ),
        (
            json!({"name": "x", "portion_description": "y", "meal_type_ids": ["nope"]}),
            "meal_type_ids",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post("/api/v1/meals")
            .bearer(&lib.token)
            .json(body.clone())
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.detail()[0]["loc"][1], field, "{body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, before);
}

#[tokio::test]
async fn an_unknown_meal_type_on_a_meal_is_a_404_not_a_500() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .post("/api/v1/meals")
        .bearer(&lib.token)
        .json(json!({"name": "x", "portion_description": "y", "meal_type_ids": [unknown]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        r.json(),
        json!({"detail": format!("Meal type with id {unknown} not found")})
    );
    let r = app
        .put(&format!("/api/v1/meals/{}", lib.meals["Oats"]))
        .bearer(&lib.token)
        .json(json!({"meal_type_ids": [unknown]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_json(&lib.token, &format!("/api/v1/meals/{}", lib.meals["Oats"]))
            .await["meal_types"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn updates_are_partial_validated_and_replace_links() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let url = format!("/api/v1/meals/{}", lib.meals["Oats"]);
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"name": "Porridge", "notes": null, "calories_kcal": null}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        (
            r.json()["name"].clone(),
            r.json()["calories_kcal"].clone(),
            r.json()["portion_description"].clone()
        ),
        (json!("Porridge"), json!(350), json!("portion 0"))
    );
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"meal_type_ids": [lib.types["Lunch"], lib.types["Breakfast"]]}))
        .send()
        .await;
    assert_eq!(r.json()["meal_types"].as_array().unwrap().len(), 2);
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"meal_type_ids": []}))
        .send()
        .await;
    assert_eq!(r.json()["meal_types"], json!([]));
    // Difference 1: negative numbers on update are a 422, not a 500, and change nothing.
    let r = app
        .put(&url)
        .bearer(&lib.token)
        .json(json!({"protein_g": -3, "name": "Changed"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_json(&lib.token, &url).await["name"], "Porridge");
    app.put(&format!("/api/v1/meals/{}", uuid::Uuid::new_v4()))
        .bearer(&lib.token)
        .json(json!({"name": "x"}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_meal_keeps_its_slots_with_no_meal() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let (_, week) = app.generate(&lib.token, "2026-11-16").await;
    let first = week["days"][0]["slots"][0]["meal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&format!("/api/v1/meals/{first}"))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    let r = app
        .get(&format!("/api/v1/meals/{first}"))
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.json(), json!({"detail": "Meal not found"}));
    let week = app
        .get_json(&lib.token, "/api/v1/weekly-plans/current")
        .await;
    assert_eq!(week["days"][0]["slots"][0]["meal"], json!(null));
    app.delete(&format!("/api/v1/meals/{first}"))
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
}
