//! The grocery list: the plan's portions of a range summed into things to buy, with check-offs
//! that survive regeneration, extras, aisle and staple decisions, the text form, and isolation.

use axum::http::StatusCode;
use mealframe_server::app::{self, Write};
use serde_json::{Value, json};

use crate::helpers::{TestApp, count};

const MONDAY: &str = "2026-11-16";
const WEEK: &str = "from=2026-11-16&to=2026-11-22";

/// A breakfast-only week, Monday to Sunday, alternating Oats and Eggs (Oats on Monday).
struct Kitchen {
    token: String,
    oats: String,
    eggs: String,
    toast: String,
}

async fn kitchen(app: &TestApp, email: &str) -> Kitchen {
    kitchen_with(app, email, "2 slices rye bread + 20 g butter + leftovers").await
}

/// [`kitchen`] with Toast's portion text given.
async fn kitchen_with(app: &TestApp, email: &str, toast: &str) -> Kitchen {
    let token = app.signup(email).await;
    let t = app
        .create(&token, "/api/v1/meal-types", json!({"name": "Breakfast"}))
        .await["id"]
        .clone();
    let mut ids = Vec::new();
    for (name, portion) in [
        ("Oats", "60 g oats + 200 ml milk"),
        ("Eggs", "2 eggs + 1 slice rye bread + 1 tsp salt"),
        ("Toast", toast),
    ] {
        app.advance(time::Duration::seconds(1));
        let m = app
            .create(
                &token,
                "/api/v1/meals",
                json!({"name": name, "portion_description": portion, "meal_type_ids": [t]}),
            )
            .await;
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    // A week of 7 breakfasts: Oats, Eggs, Toast, Oats, Eggs, Toast, Oats.
    let template = app
        .create(
            &token,
            "/api/v1/day-templates",
            json!({"name": "Day", "slots": [{"position": 1, "meal_type_id": t}]}),
        )
        .await["id"]
        .clone();
    let days: Vec<Value> = (0..7)
        .map(|d| json!({"weekday": d, "day_template_id": template}))
        .collect();
    app.create(
        &token,
        "/api/v1/week-plans",
        json!({"name": "Week", "days": days}),
    )
    .await;
    generate(app, &token).await;
    Kitchen {
        token,
        oats: ids[0].clone(),
        eggs: ids[1].clone(),
        toast: ids[2].clone(),
    }
}

async fn generate(app: &TestApp, token: &str) {
    let r = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(token)
        .json(json!({"week_start_date": MONDAY}))
        .send()
        .await;
    assert!(r.status.is_success(), "{}", r.text());
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(token, &format!("/api/v1/grocery-list?{query}"))
        .await
}

/// `(key, amount, checked)` of each item.
fn items(l: &Value) -> Vec<(String, String, bool)> {
    l["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap().to_owned(),
                i["amount"].as_str().unwrap().to_owned(),
                i["checked"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(key: &str, amount: &str, checked: bool) -> (String, String, bool) {
    (key.to_owned(), amount.to_owned(), checked)
}

fn item<'a>(l: &'a Value, key: &str) -> &'a Value {
    l["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("{key} not in {l}"))
}

async fn put_item(app: &TestApp, token: &str, key: &str, body: Value) -> Value {
    let r = app
        .put(&format!(
            "/api/v1/grocery-list/items/{}?{WEEK}",
            encode(key)
        ))
        .bearer(token)
        .json(body)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

fn encode(key: &str) -> String {
    key.replace('|', "%7C").replace(' ', "%20")
}

async fn slots_by_date(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let w = app
        .get_json(
            token,
            &format!("/api/v1/weekly-plans/current?week_start_date={MONDAY}"),
        )
        .await;
    let mut out = Vec::new();
    for d in w["days"].as_array().unwrap() {
        for s in d["slots"].as_array().unwrap() {
            out.push((
                d["date"].as_str().unwrap().to_owned(),
                s["id"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn a_week_of_portions_is_summed_by_ingredient_in_store_order() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(
        (l["from"].as_str(), l["to"].as_str()),
        (Some(MONDAY), Some("2026-11-22"))
    );
    // Oats ×3, Eggs ×2, Toast ×2; salt is a pantry staple, left off but listed apart.
    assert_eq!(
        items(&l),
        [
            row("butter|gram", "40 g", false),
            row("egg|piece", "4", false),
            row("milk|millilitre", "600 ml", false),
            row("rye bread|slice", "6 slices", false),
            row("oats|gram", "180 g", false),
        ]
    );
    let milk = item(&l, "milk|millilitre");
    assert_eq!(
        (
            milk["quantity"].as_str(),
            milk["unit"].as_str(),
            milk["category"].as_str()
        ),
        (Some("600"), Some("ml"), Some("dairy_eggs"))
    );
    assert_eq!(item(&l, "egg|piece")["unit"], Value::Null);
    assert_eq!(item(&l, "rye bread|slice")["unit"], "slice");
    let sources = item(&l, "egg|piece")["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["date"], "2026-11-17");
    assert_eq!(sources[0]["meal_id"], k.eggs.as_str());
    assert_eq!(sources[0]["meal_name"], "Eggs");
    assert_eq!(l["staples"][0]["key"], "salt|millilitre");
    assert_eq!(l["staples"][0]["amount"], "2 tsp");
    assert_eq!(
        l["unparsed"].as_array().unwrap().len(),
        2,
        "leftovers, twice"
    );
    assert_eq!(l["unparsed"][0]["text"], "leftovers");
    assert_eq!(l["unparsed"][0]["meal_id"], k.toast.as_str());
    assert_eq!(l["missing_weeks"], json!([]));

    let with_staples = list(&app, &k.token, &format!("{WEEK}&include_staples=true")).await;
    assert_eq!(items(&with_staples).len(), 6);
    assert_eq!(with_staples["staples"], json!([]));

    // Two weeks: the second is not generated and says so.
    let two = list(&app, &k.token, "from=2026-11-16&to=2026-11-29").await;
    assert_eq!(items(&two), items(&l));
    assert_eq!(two["missing_weeks"], json!(["2026-11-23"]));
}

#[tokio::test]
async fn the_default_range_is_from_today_to_the_end_of_the_week() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    // "Now" is Wednesday 2026-11-18; the rotation: Mon Oats, Tue Eggs, Wed Toast, Thu Oats,
    // Fri Eggs, Sat Toast, Sun Oats.
    let l = list(&app, &k.token, "").await;
    assert_eq!(
        (l["from"].as_str(), l["to"].as_str()),
        (Some("2026-11-18"), Some("2026-11-22"))
    );
    assert_eq!(item(&l, "oats|gram")["amount"], "120 g");
    assert_eq!(item(&l, "rye bread|slice")["amount"], "5 slices");
    let next = list(&app, &k.token, "from=2026-11-23").await;
    assert_eq!(next["to"], "2026-11-29");
    assert_eq!(next["items"], json!([]));
}

#[tokio::test]
async fn bad_ranges_and_options_are_refused_with_422() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    for q in [
        "from=2026-11-20&to=2026-11-19",
        "from=2026-11-01&to=2026-11-29",
        "from=2026-02-30",
        "to=tomorrow",
        "only_unmarked=maybe",
        "include_staples=2",
        "format=xml",
    ] {
        let r = app
            .get(&format!("/api/v1/grocery-list?{q}"))
            .bearer(&token)
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.text()
        );
        // The documented 422 shape: a list of issues, as for every query parameter.
        assert!(r.json()["detail"].is_array(), "{q}: {}", r.text());
    }
    // 28 days is the most.
    let r = app
        .get("/api/v1/grocery-list?from=2026-11-01&to=2026-11-29")
        .bearer(&token)
        .send()
        .await;
    assert!(r.text().contains("at most 28 days"), "{}", r.text());
    let r = app
        .get("/api/v1/grocery-list?from=2026-11-01&to=2026-11-28")
        .bearer(&token)
        .send()
        .await;
    r.assert(StatusCode::OK);
}

#[tokio::test]
async fn reassigned_ad_hoc_and_no_plan_days_count_as_planned_and_marked_slots_can_be_left_out() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    let slots = slots_by_date(&app, &k.token).await;
    let slot = |date: &str| slots.iter().find(|(d, _)| d == date).unwrap().1.clone();
    // Saturday's Toast becomes Oats; Sunday is No Plan with Eggs added by hand.
    app.put(&format!("/api/v1/slots/{}/reassign", slot("2026-11-21")))
        .bearer(&k.token)
        .json(json!({"meal_id": k.oats}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.put("/api/v1/weekly-plans/current/days/2026-11-22/override")
        .bearer(&k.token)
        .json(json!({"reason": "Away"}))
        .send()
        .await
        .assert(StatusCode::OK);
    app.create(
        &k.token,
        "/api/v1/today/slots",
        json!({"meal_id": k.eggs, "date": "2026-11-22"}),
    )
    .await;
    // Monday's oats were eaten.
    app.post(&format!("/api/v1/slots/{}/complete", slot("2026-11-16")))
        .bearer(&k.token)
        .json(json!({"status": "followed"}))
        .send()
        .await
        .assert(StatusCode::OK);

    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(item(&l, "oats|gram")["amount"], "180 g", "Mon, Thu, Sat");
    assert_eq!(
        item(&l, "egg|piece")["amount"],
        "6",
        "Tue, Fri, Sun (added)"
    );
    assert_eq!(item(&l, "rye bread|slice")["amount"], "5 slices");
    let open = list(&app, &k.token, &format!("{WEEK}&only_unmarked=true")).await;
    assert_eq!(item(&open, "oats|gram")["amount"], "120 g");
}

#[tokio::test]
async fn a_check_off_survives_regeneration_until_the_plan_needs_more_and_says_what_changed() {
    // Monday morning, so that every day of the week can still be changed.
    let app = TestApp::builder()
        .now(dbkit::Timestamp::from(
            time::macros::datetime!(2026-11-16 07:00 UTC),
        ))
        .build()
        .await;
    let k = kitchen(&app, "ana@example.com").await;
    put_item(&app, &k.token, "oats|gram", json!({"checked": true})).await;
    let l = put_item(&app, &k.token, "egg|piece", json!({"checked": true})).await;
    assert!(item(&l, "oats|gram")["checked"].as_bool().unwrap());
    assert_eq!(l["gone"], json!([]));

    // Sunday's Oats become Eggs: oats needs less (still covered), eggs more (bought 4, need 6).
    let slots = slots_by_date(&app, &k.token).await;
    let sunday = &slots.iter().find(|(d, _)| d == "2026-11-22").unwrap().1;
    app.put(&format!("/api/v1/slots/{sunday}/reassign"))
        .bearer(&k.token)
        .json(json!({"meal_id": k.eggs}))
        .send()
        .await
        .assert(StatusCode::OK);
    let l = list(&app, &k.token, WEEK).await;
    let oats = item(&l, "oats|gram");
    assert_eq!(
        (oats["amount"].as_str(), oats["checked"].as_bool()),
        (Some("120 g"), Some(true))
    );
    assert_eq!(
        (oats["change"].as_str(), oats["previous_amount"].as_str()),
        (Some("less"), Some("180 g"))
    );
    let eggs = item(&l, "egg|piece");
    assert_eq!(
        (eggs["amount"].as_str(), eggs["checked"].as_bool()),
        (Some("6"), Some(false))
    );
    assert_eq!(eggs["bought"], "4");
    assert_eq!(eggs["change"], "more");
    assert_eq!(item(&l, "butter|gram")["change"], Value::Null);

    // Monday's and Thursday's Oats become Toast: no oats and no milk any more.
    let monday = &slots.iter().find(|(d, _)| d == "2026-11-16").unwrap().1;
    let thursday = &slots.iter().find(|(d, _)| d == "2026-11-19").unwrap().1;
    for s in [monday, thursday] {
        app.put(&format!("/api/v1/slots/{s}/reassign"))
            .bearer(&k.token)
            .json(json!({"meal_id": k.toast}))
            .send()
            .await
            .assert(StatusCode::OK);
    }
    let l = list(&app, &k.token, WEEK).await;
    let gone: Vec<&str> = l["gone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(gone, ["milk|millilitre", "oats|gram"]);

    // Seen: the next read reports nothing.
    let r = app
        .post(&format!("/api/v1/grocery-list/seen?{WEEK}"))
        .bearer(&k.token)
        .send()
        .await;
    r.assert(StatusCode::OK);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(l["gone"], json!([]));
    assert!(
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["change"].is_null())
    );

    // Unchecking and removing.
    let l = put_item(&app, &k.token, "egg|piece", json!({"checked": true})).await;
    assert!(item(&l, "egg|piece")["checked"].as_bool().unwrap());
    let l = put_item(&app, &k.token, "butter|gram", json!({"removed": true})).await;
    assert_eq!(l["removed"][0]["key"], "butter|gram");
    assert!(
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["key"] != "butter|gram")
    );
    let l = put_item(&app, &k.token, "butter|gram", json!({"removed": false})).await;
    assert_eq!(item(&l, "butter|gram")["checked"], false);
    let l = put_item(&app, &k.token, "egg|piece", json!({"checked": false})).await;
    assert_eq!(item(&l, "egg|piece")["checked"], false);
    assert_eq!(item(&l, "egg|piece")["bought"], Value::Null);
}

#[tokio::test]
async fn changing_an_item_checks_its_key_and_body() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    let put = |key: &str, body: Value| {
        app.put(&format!(
            "/api/v1/grocery-list/items/{}?{WEEK}",
            encode(key)
        ))
        .bearer(&k.token)
        .json(body)
        .send()
    };
    let r = put("caviar|gram", json!({"checked": true})).await;
    r.assert(StatusCode::NOT_FOUND);
    assert_eq!(r.detail(), "Item not on this grocery list");
    put("oats|gram", json!({}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    put("oats|gram", json!({"checked": "yes"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    // The same change sent twice with one Idempotency-Key is applied once and answered alike.
    let send = || {
        app.put(&format!("/api/v1/grocery-list/items/oats%7Cgram?{WEEK}"))
            .bearer(&k.token)
            .header("idempotency-key", "grocery-1")
            .json(json!({"checked": true}))
            .send()
    };
    let (a, b) = (send().await, send().await);
    a.assert(StatusCode::OK);
    assert_eq!(a.text(), b.text());
}

#[tokio::test]
async fn extras_are_added_checked_and_deleted() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    let path = format!("/api/v1/grocery-list/extras?{WEEK}");
    let soap = app
        .create(&k.token, &path, json!({"name": "  Dish soap "}))
        .await;
    assert_eq!(soap["name"], "Dish soap");
    assert_eq!(soap["checked"], false);
    let id = soap["id"].as_str().unwrap();
    for bad in [
        json!({"name": "  "}),
        json!({"name": "x".repeat(201)}),
        json!({}),
    ] {
        let r = app.post(&path).bearer(&k.token).json(bad).send().await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app
        .put(&format!("/api/v1/grocery-list/extras/{id}?{WEEK}"))
        .bearer(&k.token)
        .json(json!({"checked": true}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["checked"], true);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(l["extras"][0]["name"], "Dish soap");
    assert_eq!(l["extras"][0]["checked"], true);

    // The extra belongs to this trip: another range's list does not have it.
    let r = app
        .delete(&format!("/api/v1/grocery-list/extras/{id}?from=2026-11-23"))
        .bearer(&k.token)
        .send()
        .await;
    r.assert(StatusCode::NOT_FOUND);
    app.delete(&format!("/api/v1/grocery-list/extras/{id}?{WEEK}"))
        .bearer(&k.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(list(&app, &k.token, WEEK).await["extras"], json!([]));
    app.delete(&format!("/api/v1/grocery-list/extras/{id}?{WEEK}"))
        .bearer(&k.token)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_person_moves_ingredients_between_aisles_and_decides_what_is_a_staple() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    let put = |ingredient: &str, body: Value| {
        app.put(&format!("/api/v1/grocery-list/ingredients/{ingredient}"))
            .bearer(&k.token)
            .json(body)
            .send()
    };
    let r = put("oats", json!({"category": "snacks"})).await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"ingredient": "oats", "category": "snacks", "staple": null})
    );
    put("milk", json!({"staple": true}))
        .await
        .assert(StatusCode::OK);
    put("salt", json!({"staple": false}))
        .await
        .assert(StatusCode::OK);
    put("oats", json!({"category": "candy"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    put("oats", json!({"staple": "no"}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    // PostgreSQL cannot store NUL: refused before it gets there, as everywhere.
    let r = put("oat%00s", json!({"staple": true})).await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "ingredient"]));
    put(&"x".repeat(201), json!({"staple": true}))
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);

    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(item(&l, "oats|gram")["category"], "snacks");
    assert_eq!(
        l["items"].as_array().unwrap().last().unwrap()["key"],
        "oats|gram",
        "snacks come late in the store"
    );
    assert_eq!(l["staples"][0]["key"], "milk|millilitre");
    assert_eq!(item(&l, "salt|millilitre")["staple"], false);

    // Back to the built-in rules.
    put("oats", json!({"category": null}))
        .await
        .assert(StatusCode::OK);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(item(&l, "oats|gram")["category"], "grains_pasta");
}

#[tokio::test]
async fn the_list_as_text_is_grouped_by_aisle_for_sharing() {
    let app = TestApp::new().await;
    let k = kitchen(&app, "ana@example.com").await;
    put_item(&app, &k.token, "butter|gram", json!({"checked": true})).await;
    app.create(
        &k.token,
        &format!("/api/v1/grocery-list/extras?{WEEK}"),
        json!({"name": "Coffee"}),
    )
    .await;
    let r = app
        .get(&format!("/api/v1/grocery-list?{WEEK}&format=text"))
        .bearer(&k.token)
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        "Groceries 2026-11-16 to 2026-11-22\n\
         \nDairy & eggs\n[x] butter: 40 g\n[ ] egg: 4\n[ ] milk: 600 ml\n\
         \nBakery\n[ ] rye bread: 6 slices\n\
         \nGrains & pasta\n[ ] oats: 180 g\n\
         \nExtras\n[ ] Coffee\n\
         \nAt home (staples): salt\n\
         \nAlso in the plan (not read)\n- leftovers (Toast)\n- leftovers (Toast)\n"
    );
}

#[tokio::test]
async fn nobody_sees_or_changes_another_persons_list() {
    let app = TestApp::new().await;
    let ana = kitchen(&app, "ana@example.com").await;
    let extra = app
        .create(
            &ana.token,
            &format!("/api/v1/grocery-list/extras?{WEEK}"),
            json!({"name": "Tea"}),
        )
        .await;
    let bob = app.signup("bob@example.com").await;
    let l = list(&app, &bob, WEEK).await;
    assert_eq!(
        (l["items"].clone(), l["extras"].clone()),
        (json!([]), json!([]))
    );
    app.put(&format!("/api/v1/grocery-list/items/oats%7Cgram?{WEEK}"))
        .bearer(&bob)
        .json(json!({"checked": true}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    let id = extra["id"].as_str().unwrap();
    app.put(&format!("/api/v1/grocery-list/extras/{id}?{WEEK}"))
        .bearer(&bob)
        .json(json!({"checked": true}))
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.delete(&format!("/api/v1/grocery-list/extras/{id}?{WEEK}"))
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
    app.put("/api/v1/grocery-list/ingredients/oats")
        .bearer(&bob)
        .json(json!({"category": "frozen"}))
        .send()
        .await
        .assert(StatusCode::OK);
    let l = list(&app, &ana.token, WEEK).await;
    assert_eq!(item(&l, "oats|gram")["category"], "grains_pasta");
    assert_eq!(l["extras"][0]["checked"], false);
    app.get("/api/v1/grocery-list")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_starter_library_week_makes_a_list_a_person_would_shop_from() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let me = app.get_json(&token, "/api/v1/auth/me").await;
    let user = me["id"].as_str().unwrap().parse().unwrap();
    assert!(
        app::starter::install(&app.state, &Write::by(user))
            .await
            .unwrap()
    );
    generate(&app, &token).await;
    let r = app
        .get(&format!("/api/v1/grocery-list?{WEEK}&format=text"))
        .bearer(&token)
        .send()
        .await;
    insta::assert_snapshot!("starter_week_grocery_list", r.text());
    let l = list(&app, &token, WEEK).await;
    assert_eq!(l["unparsed"], json!([]));
}

// ----- the optional AI reading of unread lines ---------------------------------------------------

fn completion(content: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test", "object": "chat.completion", "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30}
    }))
}

/// `(text, assist)` of each unread line.
fn unread(l: &Value) -> Vec<(&str, &str)> {
    l["unparsed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["text"].as_str().unwrap(), u["assist"].as_str().unwrap()))
        .collect()
}

async fn ai_app(fake: &wiremock::MockServer) -> TestApp {
    let base = format!("{}/v1", fake.uri());
    TestApp::builder()
        .with(|s| {
            s.openai_api_key = Some("sk-test".into());
            s.openai_base_url = base;
            s.grocery_ai = true;
        })
        .build()
        .await
}

#[tokio::test]
async fn lines_the_parser_cannot_read_are_read_by_the_model_once_without_blocking_the_list() {
    use wiremock::{
        Mock,
        matchers::{method, path},
    };
    let fake = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(
            &json!({"lines": [
                {"text": "whatever the canteen serves", "ingredients": "300 g chili con carne + 1 slice rye bread"},
                {"text": "leftovers", "ingredients": ""}
            ]})
            .to_string(),
        ))
        .mount(&fake)
        .await;
    let app = ai_app(&fake).await;
    let k = kitchen_with(
        &app,
        "ana@example.com",
        "whatever the canteen serves + leftovers",
    )
    .await;

    // The list answers at once with the raw lines, asked about in the background.
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(
        unread(&l),
        [
            ("whatever the canteen serves", "waiting"),
            ("leftovers", "waiting"),
            ("whatever the canteen serves", "waiting"),
            ("leftovers", "waiting")
        ]
    );
    assert!(fake.received_requests().await.unwrap().is_empty());

    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 2);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(
        item(&l, "chili con carne|gram")["amount"],
        "600 g",
        "Wed and Sat"
    );
    assert_eq!(
        item(&l, "rye bread|slice")["amount"],
        "4 slices",
        "2 from Eggs, 2 read"
    );
    assert_eq!(
        unread(&l),
        [
            ("leftovers", "nothing_to_buy"),
            ("leftovers", "nothing_to_buy")
        ]
    );

    // Each text went to the model once, in one call; reading again asks nothing.
    list(&app, &k.token, WEEK).await;
    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 0);
    let sent = fake.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body["messages"][1]["content"],
        json!(["leftovers", "whatever the canteen serves"]).to_string()
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM openai_usage").await, 1);
}

#[tokio::test]
async fn a_provider_error_is_retried_later_and_a_garbled_answer_is_not_sent_again() {
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{method, path},
    };
    let fake = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad request"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("I think it is chili"))
        .mount(&fake)
        .await;
    let app = ai_app(&fake).await;
    let k = kitchen_with(&app, "ana@example.com", "leftovers").await;
    list(&app, &k.token, WEEK).await;

    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 1);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(l["unparsed"][0]["assist"], "waiting", "asked again later");
    assert_eq!(
        app::grocery::read_lines_once(&app.state).await.unwrap(),
        0,
        "not due yet"
    );
    app.advance(time::Duration::seconds(31));
    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 1);
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(l["unparsed"][0]["text"], "leftovers", "the raw line stays");
    assert_eq!(l["unparsed"][0]["assist"], "failed");
    app.advance(time::Duration::hours(1));
    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 0);
    assert_eq!(fake.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn without_the_setting_no_line_leaves_the_server() {
    let app = TestApp::builder()
        .with(|s| {
            s.openai_api_key = Some("sk-test".into());
            s.openai_base_url = "http://127.0.0.1:9/v1".into();
        })
        .build()
        .await;
    let k = kitchen(&app, "ana@example.com").await;
    let l = list(&app, &k.token, WEEK).await;
    assert_eq!(l["unparsed"][0]["assist"], Value::Null);
    assert_eq!(app::grocery::read_lines_once(&app.state).await.unwrap(), 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM grocery_ai_lines").await,
        0
    );
}
