//! CSV import (§4.9, difference 13) and export.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp, count, multipart};

async fn upload(app: &TestApp, token: &str, content_type: Option<&str>, content: &[u8]) -> Resp {
    let (ct, body) = multipart("file", "meals.csv", content_type, content);
    app.post("/api/v1/meals/import")
        .bearer(token)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await
}

async fn import(app: &TestApp, token: &str, csv: &str) -> Value {
    let r = upload(app, token, Some("text/csv"), csv.as_bytes()).await;
    r.assert(StatusCode::OK);
    r.json()
}

#[tokio::test]
async fn a_valid_file_creates_every_meal_with_its_types() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    app.create(&token, "/api/v1/meal-types", json!({"name": "Breakfast"}))
        .await;
    let report = import(
        &app,
        &token,
        "name,portion_description,calories_kcal,protein_g,carbs_g,sugar_g,fat_g,saturated_fat_g,fiber_g,meal_types,notes\n\
         Scrambled Eggs,2 eggs + 1 slice toast,320,18,15,2,22,8,1.5,Breakfast,quick\n\
         Chicken Bowl,150g chicken + rice,600,45.5,60,,12,,,\"Lunch, Dinner\",\n",
    )
    .await;
    assert_eq!(report["success"], true);
    assert_eq!(
        report["summary"],
        json!({"total_rows": 2, "created": 2, "skipped": 0, "warnings": 2, "created_meal_types": ["Lunch", "Dinner"]})
    );
    assert_eq!(
        report["warnings"],
        json!([{"row": 2, "message": "Created new meal type: 'Lunch'"}, {"row": 2, "message": "Created new meal type: 'Dinner'"}])
    );
    assert_eq!(report["errors"], json!([]));
    let page = app.get_json(&token, "/api/v1/meals?search=eggs").await;
    let eggs = &page["items"][0];
    assert_eq!(
        (
            eggs["calories_kcal"].clone(),
            eggs["protein_g"].clone(),
            eggs["fiber_g"].clone()
        ),
        (json!(320), json!("18.0"), json!("1.5"))
    );
    let types = app.get_json(&token, "/api/v1/meal-types").await;
    assert_eq!(types.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rows_are_numbered_after_blank_ones_and_problems_are_reported_per_row() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let report = import(
        &app,
        &token,
        "\u{feff}name,portion_description,calories_kcal,protein_g,fat_g,meal_types\n\
         \n\
         A,1 apple,12.5,abc,,\n\
         ,no name,,,,\n\
         ,  ,,,,\n\
         B,,,,,\n\
         C,1 cup,NaN,inf,100000,\"Lunch, Lunch\"\n\
         A,duplicate names are fine,-5,,-1,\n\
         \n",
    )
    .await;
    assert_eq!(report["success"], true);
    assert_eq!(report["summary"]["total_rows"], 5);
    assert_eq!(report["summary"]["created"], 3);
    assert_eq!(report["summary"]["skipped"], 2);
    let warnings: Vec<(u64, String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["row"].as_u64().unwrap(),
                w["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        vec![
            (
                1,
                "Invalid calories_kcal value '12.5', imported with null value".into()
            ),
            (
                1,
                "Invalid protein_g value 'abc', imported with null value".into()
            ),
            (
                4,
                "Invalid calories_kcal value 'NaN', imported with null value".into()
            ),
            (
                4,
                "Invalid protein_g value 'inf', imported with null value".into()
            ),
            (
                4,
                "Invalid fat_g value '100000', imported with null value".into()
            ),
            (4, "Created new meal type: 'Lunch'".into()),
            (
                5,
                "Invalid calories_kcal value '-5', imported with null value".into()
            ),
            (
                5,
                "Invalid fat_g value '-1', imported with null value".into()
            ),
        ]
    );
    assert_eq!(report["summary"]["warnings"], 8);
    assert_eq!(
        report["errors"],
        json!([{"row": 2, "message": "Missing required field: name"}, {"row": 3, "message": "Missing required field: portion_description"}])
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meal_meal_types").await,
        1,
        "a type named twice in a cell is linked once"
    );
    // The lists work afterwards (the original's NaN broke them with 500s).
    app.get_json(&token, "/api/v1/meals").await;
}

#[tokio::test]
async fn a_header_without_required_columns_reports_success_false() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let report = import(&app, &token, "title,calories_kcal\nEggs,100\n").await;
    assert_eq!(
        report,
        json!({
            "success": false,
            "summary": {"total_rows": 0, "created": 0, "skipped": 0, "warnings": 0, "created_meal_types": []},
            "warnings": [],
            "errors": [{"row": 0, "message": "Missing required columns: name, portion_description"}],
        })
    );
    let report = import(&app, &token, "name,portion_description\n").await;
    assert_eq!(
        (
            report["success"].clone(),
            report["summary"]["total_rows"].clone()
        ),
        (json!(true), json!(0))
    );
}

#[tokio::test]
async fn unusable_uploads_are_4xx() {
    let app = TestApp::builder()
        .with(|s| s.max_upload_bytes = 4096)
        .build()
        .await;
    let token = app.signup("ana@example.com").await;
    let r = upload(&app, &token, Some("text/csv"), b"   \n ").await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(r.json(), json!({"detail": "CSV file is empty."}));
    let r = upload(
        &app,
        &token,
        Some("text/csv"),
        b"name,portion_description\n\xff\xfe,x\n",
    )
    .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "File encoding error. Please save the file as UTF-8."})
    );
    let r = upload(
        &app,
        &token,
        Some("image/png"),
        b"name,portion_description\n",
    )
    .await;
    r.assert(StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"detail": "Invalid file type: image/png. Expected CSV file."})
    );
    upload(&app, &token, None, b"name,portion_description\nA,b\n")
        .await
        .assert(StatusCode::OK);
    let big = format!("name,portion_description\n{}", "A,b\n".repeat(2000));
    let r = upload(&app, &token, Some("text/csv"), big.as_bytes()).await;
    r.assert(StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json(),
        json!({"detail": "File too large. Maximum size is 1 MB."})
    );
    let (ct, body) = multipart(
        "other",
        "x.csv",
        Some("text/csv"),
        b"name,portion_description\n",
    );
    let r = app
        .post("/api/v1/meals/import")
        .bearer(&token)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "file"]));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, 1);
}

#[tokio::test]
async fn an_export_imports_back_into_an_equal_library() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.create(&lib.token, "/api/v1/meals", json!({"name": "Bowl, \"big\"", "portion_description": "200g rice\n+ 150g chicken", "sugar_g": "1.5", "notes": "line one\nline two", "meal_type_ids": [lib.types["Lunch"], lib.types["Breakfast"]]})).await;
    let r = app
        .get("/api/v1/meals/export")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    let csv = r.text();
    assert!(csv.starts_with("name,portion_description,calories_kcal,protein_g,carbs_g,sugar_g,fat_g,saturated_fat_g,fiber_g,meal_types,notes\n"));

    let bob = app.signup("bob@example.com").await;
    let report = import(&app, &bob, &csv).await;
    assert_eq!(report["summary"]["created"], 6);
    assert_eq!(report["summary"]["skipped"], 0);
    let strip = |v: Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m.as_object_mut().unwrap().remove("id");
                let types: Vec<Value> = m["meal_types"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].clone())
                    .collect();
                m["meal_types"] = json!(types);
                m
            })
            .collect()
    };
    let mine = strip(app.get_json(&lib.token, "/api/v1/meals").await);
    let theirs = strip(app.get_json(&bob, "/api/v1/meals").await);
    assert_eq!(mine, theirs);
}
