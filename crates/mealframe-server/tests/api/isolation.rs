//! Users are sandboxes: every route, given another user's id (in the path or the body), answers
//! exactly what it answers for an id that does not exist, and changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp, count};

/// Compare the answers for a foreign id and a random id, the id text replaced by a placeholder.
fn same(foreign: &Resp, unknown: &Resp, foreign_id: &str, unknown_id: &str, what: &str) {
    assert_eq!(
        foreign.status,
        unknown.status,
        "{what}: {} vs {}",
        foreign.text(),
        unknown.text()
    );
    assert!(
        foreign.status.is_client_error(),
        "{what}: {}",
        foreign.status
    );
    assert_eq!(
        foreign.text().replace(foreign_id, "<id>"),
        unknown.text().replace(unknown_id, "<id>"),
        "{what}"
    );
}

#[tokio::test]
async fn another_users_ids_behave_exactly_like_unknown_ids_on_every_route() {
    let app = TestApp::new().await;
    let ana = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    let (_, ana_week) = app.generate(&ana.token, "2026-11-16").await;
    app.generate(&bob.token, "2026-11-16").await;
    let ana_slot = ana_week["days"][2]["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_today = app.get_json(&bob.token, "/api/v1/today").await;
    let bob_slot = bob_today["slots"][0]["id"].as_str().unwrap().to_owned();
    let ana_extra = app
        .create(
            &ana.token,
            "/api/v1/grocery-list/extras?from=2026-11-16&to=2026-11-22",
            json!({"name": "Tea"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create(
        &bob.token,
        "/api/v1/grocery-list/extras?from=2026-11-16&to=2026-11-22",
        json!({"name": "Coffee"}),
    )
    .await;
    let before = (
        count(&app, "SELECT COUNT(*) FROM meals").await,
        count(
            &app,
            "SELECT COUNT(*) FROM weekly_plan_slots WHERE completion_status IS NOT NULL",
        )
        .await,
    );

    // (method, path template, body template) — `{id}` is replaced by Ana's id or a random one.
    let path_cases: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/api/v1/meal-types/{id}".into(), Value::Null),
        (
            Method::PUT,
            "/api/v1/meal-types/{id}".into(),
            json!({"name": "Mine now"}),
        ),
        (
            Method::DELETE,
            "/api/v1/meal-types/{id}".into(),
            Value::Null,
        ),
        (Method::GET, "/api/v1/meals/{id}".into(), Value::Null),
        (
            Method::PUT,
            "/api/v1/meals/{id}".into(),
            json!({"name": "Mine now"}),
        ),
        (Method::DELETE, "/api/v1/meals/{id}".into(), Value::Null),
        (
            Method::GET,
            "/api/v1/day-templates/{id}".into(),
            Value::Null,
        ),
        (
            Method::PUT,
            "/api/v1/day-templates/{id}".into(),
            json!({"name": "Mine now"}),
        ),
        (
            Method::DELETE,
            "/api/v1/day-templates/{id}".into(),
            Value::Null,
        ),
        (Method::GET, "/api/v1/week-plans/{id}".into(), Value::Null),
        (
            Method::PUT,
            "/api/v1/week-plans/{id}".into(),
            json!({"name": "Mine now"}),
        ),
        (
            Method::DELETE,
            "/api/v1/week-plans/{id}".into(),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/week-plans/{id}/set-default".into(),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/slots/{id}/complete".into(),
            json!({"status": "followed"}),
        ),
        (
            Method::DELETE,
            "/api/v1/slots/{id}/complete".into(),
            Value::Null,
        ),
        (Method::DELETE, "/api/v1/slots/{id}".into(), Value::Null),
        (
            Method::PUT,
            "/api/v1/slots/{id}/reassign".into(),
            json!({"meal_id": bob.meals["Oats"]}),
        ),
        (
            Method::PUT,
            "/api/v1/grocery-list/extras/{id}?from=2026-11-16&to=2026-11-22".into(),
            json!({"checked": true}),
        ),
        (
            Method::DELETE,
            "/api/v1/grocery-list/extras/{id}?from=2026-11-16&to=2026-11-22".into(),
            Value::Null,
        ),
    ];
    let ana_ids = [
        &ana.types["Lunch"],
        &ana.types["Lunch"],
        &ana.types["Lunch"],
        &ana.meals["Oats"],
        &ana.meals["Oats"],
        &ana.meals["Oats"],
        &ana.template,
        &ana.template,
        &ana.template,
        &ana.plan,
        &ana.plan,
        &ana.plan,
        &ana.plan,
        &ana_slot,
        &ana_slot,
        &ana_slot,
        &ana_slot,
        &ana_extra,
        &ana_extra,
    ];
    for ((method, path, body), ana_id) in path_cases.iter().zip(ana_ids) {
        let random = uuid::Uuid::new_v4().to_string();
        let send = |id: &str| {
            let mut req = app
                .request(method.clone(), &path.replace("{id}", id))
                .bearer(&bob.token);
            if !body.is_null() {
                req = req.json(body.clone());
            }
            req.send()
        };
        let foreign = send(ana_id).await;
        let unknown = send(&random).await;
        same(
            &foreign,
            &unknown,
            ana_id,
            &random,
            &format!("{method} {path}"),
        );
    }

    // Ids inside request bodies.
    let body_cases: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/v1/meals".into(),
            json!({"name": "x", "portion_description": "y", "meal_type_ids": ["{id}"]}),
        ),
        (
            Method::PUT,
            format!("/api/v1/meals/{}", bob.meals["Oats"]),
            json!({"meal_type_ids": ["{id}"]}),
        ),
        (
            Method::POST,
            "/api/v1/day-templates".into(),
            json!({"name": "x", "slots": [{"position": 1, "meal_type_id": "{id}"}]}),
        ),
        (
            Method::PUT,
            format!("/api/v1/day-templates/{}", bob.template),
            json!({"slots": [{"position": 1, "meal_type_id": "{id}"}]}),
        ),
        (
            Method::POST,
            format!("/api/v1/slots/{bob_slot}/complete"),
            json!({"status": "deviated", "actual_meal_id": "{id}"}),
        ),
        (
            Method::PUT,
            format!("/api/v1/slots/{bob_slot}/reassign"),
            json!({"meal_id": "{id}"}),
        ),
        (
            Method::POST,
            "/api/v1/today/slots".into(),
            json!({"meal_id": "{id}"}),
        ),
        (
            Method::POST,
            "/api/v1/week-plans".into(),
            json!({"name": "x", "days": [{"weekday": 0, "day_template_id": "{id}"}]}),
        ),
        (
            Method::PUT,
            "/api/v1/weekly-plans/current/days/2026-11-18/template".into(),
            json!({"day_template_id": "{id}"}),
        ),
    ];
    let ana_ids = [
        &ana.types["Lunch"],
        &ana.types["Lunch"],
        &ana.types["Lunch"],
        &ana.types["Lunch"],
        &ana.meals["Oats"],
        &ana.meals["Oats"],
        &ana.meals["Oats"],
        &ana.template,
        &ana.template,
    ];
    for ((method, path, body), ana_id) in body_cases.iter().zip(ana_ids) {
        let random = uuid::Uuid::new_v4().to_string();
        let with = |id: &str| {
            serde_json::from_str::<Value>(&body.to_string().replace("{id}", id)).unwrap()
        };
        let foreign = app
            .request(method.clone(), path)
            .bearer(&bob.token)
            .json(with(ana_id))
            .send()
            .await;
        let unknown = app
            .request(method.clone(), path)
            .bearer(&bob.token)
            .json(with(&random))
            .send()
            .await;
        same(
            &foreign,
            &unknown,
            ana_id,
            &random,
            &format!("{method} {path} body"),
        );
    }

    // Reassign with another user's meal type.
    let r = app
        .put(&format!("/api/v1/slots/{bob_slot}/reassign"))
        .bearer(&bob.token)
        .json(json!({"meal_id": bob.meals["Oats"], "meal_type_id": ana.types["Breakfast"]}))
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);

    // Nothing of Ana's changed and Bob's lists hold only Bob's rows.
    assert_eq!(
        (
            count(&app, "SELECT COUNT(*) FROM meals").await,
            count(
                &app,
                "SELECT COUNT(*) FROM weekly_plan_slots WHERE completion_status IS NOT NULL"
            )
            .await
        ),
        before
    );
    assert_eq!(
        app.get_json(&ana.token, &format!("/api/v1/meals/{}", ana.meals["Oats"]))
            .await["name"],
        "Oats"
    );
    let ana_list = app
        .get_json(
            &ana.token,
            "/api/v1/grocery-list?from=2026-11-16&to=2026-11-22",
        )
        .await;
    assert_eq!(
        ana_list["extras"],
        json!([{"id": ana_extra, "name": "Tea", "checked": false, "created_at": ana_list["extras"][0]["created_at"]}])
    );
    let bob_meals = app
        .get_json(&bob.token, "/api/v1/meals?page_size=100")
        .await;
    assert!(
        bob_meals["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !ana.meals.values().any(|id| m["id"] == *id))
    );
    let bob_week = app
        .get_json(&bob.token, "/api/v1/weekly-plans/current")
        .await;
    assert_ne!(bob_week["id"], ana_week["id"]);
    assert!(
        bob_week.to_string().find(&ana.meals["Oats"]).is_none(),
        "a generated week never references another user's meal"
    );
}

#[tokio::test]
async fn the_data_export_holds_all_of_the_callers_data_and_nothing_else() {
    let app = TestApp::new().await;
    let ana = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    app.generate(&ana.token, "2026-11-16").await;
    app.generate(&ana.token, "2026-11-23").await;
    let r = app.get("/api/v1/export").bearer(&ana.token).send().await;
    r.assert(StatusCode::OK);
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("mealframe-export.json")
    );
    let e = r.json();
    assert_eq!(e["user"]["email"], "ana@example.com");
    assert_eq!(e["meal_types"].as_array().unwrap().len(), 2);
    assert_eq!(e["meals"].as_array().unwrap().len(), 5);
    assert_eq!(e["day_templates"][0]["slots"].as_array().unwrap().len(), 2);
    assert_eq!(e["week_plans"][0]["days"].as_array().unwrap().len(), 5);
    assert_eq!(e["weeks"].as_array().unwrap().len(), 2);
    let text = e.to_string();
    for id in bob.meals.values().chain(bob.types.values()) {
        assert!(
            !text.contains(id.as_str()),
            "Bob's data leaked into Ana's export"
        );
    }
    app.get("/api/v1/export")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}
