//! The web app's server side: content negotiation on `/`, the sign-in form and its session
//! cookie, cross-site refusal of page posts and cookie-authenticated API writes, the starter
//! library, and the service worker and asset caching headers.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

pub(crate) const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

pub(crate) async fn sign_in(app: &TestApp, email: &str) {
    app.signup(email).await;
    let r = app
        .post("/login")
        .header("origin", "https://meals.example.org")
        .raw(
            FORM,
            format!("email={email}&password=correct+horse&next=%2F"),
        )
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
    assert_eq!(r.header("location"), Some("/"));
    assert!(
        app.cookie("mf_session").is_some(),
        "a session cookie is set"
    );
}

/// The starter library only (no week generated), through the page's form.
async fn starter_library(app: &TestApp) {
    let r = app
        .post("/setup/starter")
        .header("origin", "https://meals.example.org")
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}", r.text());
}

/// The starter library and this week generated from it, through the pages.
pub(crate) async fn starter_week(app: &TestApp) {
    let r = app
        .post("/setup/starter")
        .header("origin", "https://meals.example.org")
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let r = app
        .post("/week/generate")
        .header("origin", "https://meals.example.org")
        .raw(FORM, "week_start_date=this")
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}", r.text());
}

async fn sign_out(app: &TestApp) {
    let r = app
        .post("/logout")
        .header("origin", "https://meals.example.org")
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
}

#[tokio::test]
async fn the_root_answers_api_clients_with_json_and_browsers_with_the_app() {
    let app = TestApp::new().await;
    let r = app.get("/").send().await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"status": "ok", "message": "MealFrame API"})
    );

    let r = app.get("/").header("accept", "text/html,*/*").send().await;
    assert!(r.status.is_redirection());
    assert_eq!(r.header("location"), Some("/login?next=%2F"));

    let r = app.get("/login").send().await;
    r.assert(StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("name=\"password\""));
}

#[tokio::test]
async fn signing_in_with_the_form_opens_today() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let r = app.get("/").header("accept", "text/html").send().await;
    r.assert(StatusCode::OK);
    let html = r.text();
    assert!(html.contains("ana@example.com"));
    assert!(
        html.contains("Use the starter library"),
        "first run is offered"
    );

    let r = app
        .post("/login")
        .no_cookies()
        .raw(
            FORM,
            "email=ana%40example.com&password=wrong+password+here&next=%2F",
        )
        .send()
        .await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("Invalid email or password"));
}

#[tokio::test]
async fn the_starter_library_fills_an_empty_account_once() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let install = || {
        app.post("/setup/starter")
            .header("origin", "https://meals.example.org")
            .send()
    };
    assert!(install().await.status.is_redirection());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 4);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meals").await, 12);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM day_templates").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM week_plans WHERE is_default").await,
        1
    );

    assert!(install().await.status.is_redirection());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM meals").await,
        12,
        "not twice"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_on_pages_and_cookie_api_calls() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;

    let r = app
        .post("/setup/starter")
        .header("origin", "https://evil.example")
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    let r = app
        .post("/api/v1/meal-types")
        .header("sec-fetch-site", "cross-site")
        .json(json!({"name": "Breakfast"}))
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 0);

    // The same call from our own pages works with the cookie alone.
    app.post("/api/v1/meal-types")
        .header("sec-fetch-site", "same-origin")
        .json(json!({"name": "Breakfast"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    sign_out(&app).await;
    let r = app.get("/").header("accept", "text/html").send().await;
    assert!(r.status.is_redirection(), "back to the sign-in page");
    app.get("/api/v1/today")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn assets_are_cached_forever_and_the_service_worker_never() {
    let app = TestApp::new().await;
    let r = app.get("/sw.js").send().await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let sw = r.text();
    assert!(!sw.contains("__VERSION__") && !sw.contains("__PRECACHE__"));
    assert!(
        sw.contains("/static/app.css?v="),
        "precache lists hashed URLs"
    );

    let r = app.get("/static/app.css").send().await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(r.header("content-type").unwrap().starts_with("text/css"));

    let r = app.get("/manifest.webmanifest").send().await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["start_url"], "/");

    app.get("/static/nope.js")
        .send()
        .await
        .assert(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_today_page_shows_a_new_meal_at_once() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let page = || app.get("/").header("accept", "text/html").send();
    assert!(!page().await.text().contains("Shakshuka"));
    assert!(!page().await.text().contains("Shakshuka"));
    app.post("/api/v1/meals")
        .header("origin", "https://meals.example.org")
        .json(json!({"name": "Shakshuka", "portion_description": "2 eggs"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let html = page().await.text();
    assert!(html.contains("Shakshuka"), "the picker lists the new meal");
}

#[tokio::test]
async fn an_ended_or_expired_session_is_refused_even_when_remembered() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let cookie = app.cookie("mf_session").unwrap();
    let today = || app.get("/api/v1/today").send();
    today().await.assert(StatusCode::OK);
    today().await.assert(StatusCode::OK);

    // Signed out: the same cookie, sent again, no longer works.
    sign_out(&app).await;
    app.set_cookie("mf_session", &cookie, "/");
    today().await.assert(StatusCode::UNAUTHORIZED);

    // Expired with nothing written in between: refused by the clock alone.
    app.clear_cookies();
    sign_in(&app, "ben@example.com").await;
    today().await.assert(StatusCode::OK);
    app.advance(time::Duration::days(31));
    today().await.assert(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_groceries_page_lists_the_plan_by_aisle_for_its_user_only() {
    let app = TestApp::new().await;
    let r = app
        .get("/groceries")
        .header("accept", "text/html")
        .send()
        .await;
    assert!(r.status.is_redirection(), "signed out: to the sign-in page");

    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    // Now is Wednesday 2026-11-18: the default list runs to Sunday.
    let r = app.get("/groceries").send().await;
    r.assert(StatusCode::OK);
    let html = r.text();
    assert!(
        r.header("x-mf-user").is_some(),
        "kept per user by the service worker"
    );
    assert!(html.contains(r#"data-from="2026-11-18" data-to="2026-11-22""#));
    assert!(html.contains(r#"data-aisle="produce""#));
    assert!(html.contains(r#"data-key="milk|millilitre""#));
    assert!(html.contains("At home: 2 staples"));
    let r = app
        .get("/groceries?from=2026-11-23&to=2026-11-29")
        .send()
        .await;
    assert!(
        r.text()
            .contains("The week of Mon 23 Nov is not planned yet")
    );
    // A range the list cannot show falls back to the default one.
    let r = app
        .get("/groceries?from=2026-11-20&to=2026-11-01")
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert!(r.text().contains(r#"data-from="2026-11-18""#));

    sign_out(&app).await;
    sign_in(&app, "bob@example.com").await;
    let html = app.get("/groceries").send().await.text();
    assert!(
        !html.contains("data-key="),
        "Bob has no plan: nothing of Ana's"
    );
    assert!(html.contains("Nothing to buy"));
}

#[tokio::test]
async fn week_says_what_setup_is_missing_before_it_offers_to_generate() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let html = app.get("/week").send().await.text();
    assert!(html.contains("Set up your week first"), "{html}");
    assert!(html.contains(r#"href="/setup?tab=plans">Create a default week plan"#));
    assert!(html.contains("Use the starter library"));
    assert!(!html.contains("Generate week"));

    // Posting anyway leads to where the missing piece is made, saying what it is.
    let r = app
        .post("/week/generate")
        .header("origin", "https://meals.example.org")
        .raw(FORM, "week_start_date=this&from=week")
        .send()
        .await;
    assert!(r.status.is_redirection());
    assert_eq!(r.header("location"), Some("/setup?tab=plans"));
    let html = app.get("/setup?tab=plans").send().await.text();
    assert!(
        html.contains("there is none yet: create one here first"),
        "{html}"
    );

    starter_library(&app).await;
    let html = app.get("/week").send().await.text();
    assert!(html.contains("Generate week"));
    assert!(!html.contains("Set up your week first"));
}

#[tokio::test]
async fn today_shows_totals_in_whole_grams_and_no_soft_limit_warning() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    // Every day of the plan is far above its limit now.
    let mut tx = app.state.db.begin().await.unwrap();
    dbkit::execute!(
        &mut tx.conn(),
        "UPDATE day_templates SET max_calories_kcal = 100"
    )
    .unwrap();
    tx.commit().await.unwrap();

    let html = app
        .get("/")
        .header("accept", "text/html")
        .send()
        .await
        .text();
    let totals = html
        .split(r#"aria-label="Planned totals""#)
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no planned totals line in {html}"));
    assert!(
        totals.contains("<span>P ") && totals.contains(" g</span>"),
        "{totals}"
    );
    assert!(!totals.contains(".0"), "{totals}");
    assert!(!html.contains("soft limit"), "limits stay off Today");
    // Each meal's macros: whole values without ".0" (the starter's are all whole grams).
    assert!(html.contains("<span>P "), "{html}");
    assert!(!html.contains(".0 g</span>"), "{html}");
    assert!(
        !html.contains("Eaten totals"),
        "nothing eaten yet: no eaten line"
    );
}

/// A form post from our own pages.
async fn post_form(app: &TestApp, path: &str, body: &str) -> crate::helpers::Resp {
    app.post(path)
        .header("origin", "https://meals.example.org")
        .raw(FORM, body.to_owned())
        .send()
        .await
}

async fn ids(app: &TestApp, route: &str) -> Vec<String> {
    let v = app.get(route).send().await.json();
    let items = v.as_array().cloned().unwrap_or_else(|| {
        v["items"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{v}"))
    });
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn new_user_setup_shows_the_first_step() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let html = app.get("/setup").send().await.text();
    assert!(html.contains("Plan your week in 3 steps"), "{html}");
    let current = html
        .split(r#"aria-current="step""#)
        .nth(1)
        .and_then(|s| s.split("</li>").next())
        .unwrap_or_else(|| panic!("no current step in {html}"));
    assert!(current.contains("Meal types"), "{current}");
    assert!(
        current.contains(r#"href="/setup/types/new">Add a meal type"#),
        "{current}"
    );
    assert!(html.contains("Use the starter library"));
    assert!(html.contains("0 of 3 done"));
    // Settings is a labelled link, not a bare icon.
    assert!(html.contains(r#"href="/settings">"#) && html.contains("</svg>Settings</a>"));
}

#[tokio::test]
async fn the_guide_moves_to_the_next_step_after_each_one() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let r = post_form(&app, "/setup/types/new", "name=Breakfast").await;
    assert!(r.status.is_redirection(), "{}", r.text());
    post_form(&app, "/setup/types/new", "name=Lunch").await;
    let html = app.get("/setup").send().await.text();
    assert!(html.contains("Step 2 of 3 next: a day template."), "{html}");
    assert!(html.contains(r#"<li class="step done">"#));
    let current = html.split(r#"aria-current="step""#).nth(1).unwrap();
    assert!(current.contains("Create a day template"), "{current}");
    assert!(
        html.contains("Breakfast, Lunch"),
        "done steps say what exists"
    );
    assert!(
        !html.contains("Use the starter library"),
        "not for a started library"
    );
    assert!(
        html.contains(r#"href="/setup?tab=templates" aria-current="page""#),
        "the tab of the current step"
    );
    let html = app.get("/setup/templates/new").send().await.text();
    assert!(html.contains("Step 2 of 3"));

    let types = ids(&app, "/api/v1/meal-types").await;
    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("name=Workday&slot={}&slot={}", types[0], types[1]),
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let html = app.get("/setup").send().await.text();
    let current = html.split(r#"aria-current="step""#).nth(1).unwrap();
    assert!(current.contains("Create a week plan"), "{current}");

    let html = app.get("/setup/plans/new").send().await.text();
    assert!(html.contains("your first plan is always the default"));
    let template = &ids(&app, "/api/v1/day-templates").await[0];
    let days: String = (0..5).map(|i| format!("&day_{i}={template}")).collect();
    let r = post_form(&app, "/setup/plans/new", &format!("name=My+week{days}")).await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let html = app.get("/setup").send().await.text();
    assert!(
        !html.contains("Plan your week in 3 steps"),
        "the guide is done"
    );
    assert!(html.contains("Setup is done: generate your first week."));
    assert!(html.contains("Your week plan is ready"));
    assert!(
        html.contains(r#"href="/meals/new">Add meals"#),
        "no meals yet"
    );
    let html = app.get("/setup?tab=plans").send().await.text();
    assert!(html.contains("★ Default"), "the first plan is the default");
    assert!(html.contains("<dt>Mon–Fri</dt><dd>Workday</dd>"), "{html}");
    assert!(html.contains(r#"<div class="off"><dt>Sat–Sun</dt><dd>No plan</dd>"#));
}

#[tokio::test]
async fn template_form_shows_no_empty_slot_rows_when_slots_exist() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_library(&app).await;
    let id = &ids(&app, "/api/v1/day-templates").await[0];
    let slots = app
        .get(&format!("/api/v1/day-templates/{id}"))
        .send()
        .await
        .json()["slots"]
        .as_array()
        .unwrap()
        .len();
    assert!(slots > 0);
    let html = app
        .get(&format!("/setup/templates/{id}"))
        .send()
        .await
        .text();
    assert_eq!(html.matches("data-slot-row").count(), slots, "{html}");
    assert_eq!(
        html.matches(r#"<option value="">Choose a meal type</option><option"#)
            .count(),
        slots
    );
    assert!(!html.contains(r#"value="" selected"#));

    let html = app.get("/setup/templates/new").send().await.text();
    assert_eq!(
        html.matches("data-slot-row").count(),
        1,
        "one row to start with"
    );
}

#[tokio::test]
async fn invalid_template_keeps_entered_slots() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    post_form(&app, "/setup/types/new", "name=Breakfast").await;
    post_form(&app, "/setup/types/new", "name=Lunch").await;
    let names: Vec<(String, String)> = app
        .get("/api/v1/meal-types")
        .send()
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let id_of = |n: &str| names.iter().find(|(_, x)| x == n).unwrap().0.clone();
    let (lunch, breakfast) = (id_of("Lunch"), id_of("Breakfast"));

    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("name=&slot={lunch}&slot=&slot={breakfast}&max_calories_kcal=lots"),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    // The chosen slots in their order, the empty row dropped; each error at its field.
    assert_eq!(html.matches("data-slot-row").count(), 2, "{html}");
    let first = html.find(&format!(r#"value="{lunch}" selected"#)).unwrap();
    let second = html
        .find(&format!(r#"value="{breakfast}" selected"#))
        .unwrap();
    assert!(first < second);
    assert!(html.contains(r#"aria-describedby="name-error""#));
    assert!(html.contains(r#"<span class="field-error" id="name-error">Enter a name"#));
    assert!(
        html.contains(r#"id="kcal-error">Enter whole kcal"#),
        "{html}"
    );
    assert!(html.contains(r#"value="lots""#), "what was typed stays");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM day_templates").await, 0);

    // A name but no slot: the slot list says so.
    let r = post_form(&app, "/setup/templates/new", "name=Empty&slot=").await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(
        r.text()
            .contains(r#"id="slots-error" role="alert">Add at least one meal slot."#)
    );
    assert!(r.text().contains(r#"value="Empty""#));
}

#[tokio::test]
async fn slot_buttons_change_the_form_without_javascript() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    post_form(&app, "/setup/types/new", "name=Breakfast").await;
    post_form(&app, "/setup/types/new", "name=Lunch").await;
    let types = ids(&app, "/api/v1/meal-types").await;
    let (a, b) = (&types[0], &types[1]);
    let base = format!("name=Workday&slot={a}&slot={b}");

    let r = post_form(&app, "/setup/templates/new", &format!("{base}&add_slot=1")).await;
    r.assert(StatusCode::OK);
    assert_eq!(r.text().matches("data-slot-row").count(), 3);
    assert!(r.text().contains(r#"value="Workday""#));

    let r = post_form(&app, "/setup/templates/new", &format!("{base}&move_up=1")).await;
    let html = r.text();
    assert!(
        html.find(&format!(r#"value="{b}" selected"#)).unwrap()
            < html.find(&format!(r#"value="{a}" selected"#)).unwrap()
    );

    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("{base}&remove_slot=0"),
    )
    .await;
    assert_eq!(r.text().matches("data-slot-row").count(), 1);
    assert!(!r.text().contains(&format!(r#"value="{a}" selected"#)));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM day_templates").await,
        0,
        "nothing saved yet"
    );
}

#[tokio::test]
async fn a_meal_type_is_edited_in_place_on_setup() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    post_form(&app, "/setup/types/new", "name=Brekfast&tags=morning").await;
    let id = &ids(&app, "/api/v1/meal-types").await[0];
    let html = app.get("/setup?tab=types").send().await.text();
    assert!(html.contains(&format!(
        r#"<details class="card editable" id="type-{id}">"#
    )));
    assert!(html.contains(&format!(
        r#"<form method="post" action="/setup/types/{id}" class="inline-edit">"#
    )));
    assert!(html.contains(r#"name="tags" value="morning""#));

    let r = post_form(
        &app,
        &format!("/setup/types/{id}"),
        "name=Breakfast&tags=morning",
    )
    .await;
    assert!(r.status.is_redirection());
    assert_eq!(
        r.header("location"),
        Some(format!("/setup?tab=types#type-{id}").as_str())
    );
    let html = app.get("/setup?tab=types").send().await.text();
    assert!(html.contains("Saved Breakfast."));
    assert!(html.contains("<b>Breakfast</b>"));

    // A bad rename keeps what was typed and says why next to the name.
    let r = post_form(
        &app,
        &format!("/setup/types/{id}"),
        "name=+&description=Early&tags=a%2C+b",
    )
    .await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    assert!(html.contains(r#"id="name-error">Enter a name"#), "{html}");
    assert!(html.contains(r#"value="Early""#) && html.contains(r#"value="a, b""#));
}

#[tokio::test]
async fn week_plan_form_keeps_the_days_when_the_name_is_missing() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_library(&app).await;
    let template = &ids(&app, "/api/v1/day-templates").await[0];
    let r = post_form(
        &app,
        "/setup/plans/new",
        &format!("name=&day_0={template}&day_6={template}"),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422);
    let html = r.text();
    assert!(html.contains(r#"id="name-error">Enter a name"#));
    assert_eq!(
        html.matches(&format!(r#"value="{template}" selected"#))
            .count(),
        2
    );
    assert!(
        html.contains("data-plan-shortcuts hidden"),
        "shortcuts need JS"
    );
}

/// An attribute value as the browser reads it (the escapes askama writes).
fn unescape(v: &str) -> String {
    v.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
}

/// The `href`s of the meal rows on a Meals list page, in order.
fn meal_links(html: &str) -> Vec<String> {
    html.split(r#"<a class="meal-row" href=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(unescape)
        .collect()
}

/// The `value` of the form's hidden `back` field.
fn back_field(html: &str) -> String {
    unescape(
        html.split(r#"name="back" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no back field in {html}")),
    )
}

#[tokio::test]
async fn the_meals_list_searches_live_with_one_dense_row_per_meal() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let html = app.get("/meals").send().await.text();
    assert_eq!(
        meal_links(&html).len(),
        12,
        "the starter library, one row each"
    );
    assert!(html.contains("data-meal-search"), "the live search form");
    assert!(html.contains("/static/meals.js?v="), "with its script");
    assert!(
        !html.contains(">Apply<"),
        "filters apply as they change: no Apply button"
    );
    assert!(
        html.contains("<noscript><button"),
        "without script the form still submits"
    );
    assert!(html.contains(r#"<span class="meal-avatar" aria-hidden="true">"#));
    assert!(html.contains(" g protein</small>"), "protein on the row");
    // Unfiltered: the forms need not come back anywhere special.
    assert!(meal_links(&html).iter().all(|h| h.ends_with("/edit")));

    // The server filters (search over name and portion), so it works without script too.
    let html = app.get("/meals?q=egg&sort=newest").send().await.text();
    let links = meal_links(&html);
    assert!(!links.is_empty() && links.len() < 12, "{links:?}");
    assert!(html.contains("found · <a href=\"/meals\">Clear filters</a>"));
    for link in &links {
        assert!(
            link.ends_with("/edit?back=%2Fmeals%3Fq%3Degg%26sort%3Dnewest"),
            "{link}"
        );
    }
    assert!(html.contains(r#"href="/meals/new?back=%2Fmeals%3Fq%3Degg%26sort%3Dnewest""#));
}

#[tokio::test]
async fn editing_a_meal_returns_to_the_filtered_list() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let list = "/meals?q=egg&sort=calories_desc";
    let edit = meal_links(&app.get(list).send().await.text())[0].clone();
    let form = app.get(&edit).send().await.text();
    assert_eq!(back_field(&form), list);
    let cancel = form
        .split(r#"<a class="btn btn-ghost" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert_eq!(unescape(cancel), list, "Cancel goes back to the list too");
    let id = edit
        .trim_start_matches("/meals/")
        .split('/')
        .next()
        .unwrap()
        .to_owned();

    // Save: back to the same list, with the message.
    let r = app
        .post(&format!("/meals/{id}"))
        .header("origin", "https://meals.example.org")
        .raw(
            FORM,
            format!(
                "name=Egg+bowl&portion_description=3+eggs&back={}",
                form_urlencoded::byte_serialize(list.as_bytes()).collect::<String>()
            ),
        )
        .send()
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header("location"), Some(list));
    assert!(app.get(list).send().await.text().contains("Meal saved."));

    // An invalid save keeps the way back in the form it shows again.
    let r = app
        .post(&format!("/meals/{id}"))
        .header("origin", "https://meals.example.org")
        .raw(FORM, "name=&portion_description=&back=%2Fmeals%3Fq%3Degg")
        .send()
        .await;
    assert_eq!(back_field(&r.text()), "/meals?q=egg");

    // Delete and add: back to the list as well.
    let r = app
        .post(&format!("/meals/{id}/delete"))
        .header("origin", "https://meals.example.org")
        .raw(FORM, "back=%2Fmeals%3Fq%3Degg%26page%3D1")
        .send()
        .await;
    assert_eq!(r.header("location"), Some("/meals?q=egg&page=1"));
    let r = app
        .post("/meals/new")
        .header("origin", "https://meals.example.org")
        .raw(
            FORM,
            "name=Egg+muffins&portion_description=2+muffins&back=%2Fmeals%3Fq%3Degg",
        )
        .send()
        .await;
    assert_eq!(r.header("location"), Some("/meals?q=egg"));
}

#[tokio::test]
async fn return_to_outside_meals_is_ignored() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let edit = meal_links(&app.get("/meals").send().await.text())[0].clone();
    let id = edit.split('/').nth(2).unwrap().to_owned();
    for hostile in [
        "https://evil.example/meals",
        "//evil.example/meals",
        "/\\evil.example",
        "/mealsx",
        "/meals/../settings",
        "/settings",
        "/meals?q=a\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
    ] {
        let enc: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        let form = app.get(&format!("{edit}?back={enc}")).send().await.text();
        assert_eq!(back_field(&form), "/meals", "{hostile}");
        let r = app
            .post(&format!("/meals/{id}"))
            .header("origin", "https://meals.example.org")
            .raw(
                FORM,
                format!("name=Oats&portion_description=60+g+oats&back={enc}"),
            )
            .send()
            .await;
        assert_eq!(r.header("location"), Some("/meals"), "{hostile}");
    }
}

/// The `width` of every `<rect class="{class}"` on a page.
fn rect_widths(html: &str, class: &str) -> Vec<f64> {
    html.split(&format!(r#"<rect class="{class}""#))
        .skip(1)
        .filter_map(|rest| rest.split(r#"width=""#).nth(1))
        .filter_map(|rest| rest.split('"').next())
        .map(|w| w.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn stats_chart_bars_have_a_maximum_width() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let today = app.get("/api/v1/today").send().await.json();
    for (slot, status) in today["slots"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["followed", "skipped"])
    {
        app.post(&format!(
            "/api/v1/slots/{}/complete",
            slot["id"].as_str().unwrap()
        ))
        .header("origin", "https://meals.example.org")
        .json(json!({ "status": status }))
        .send()
        .await
        .assert(StatusCode::OK);
    }

    for days in [7, 30, 90] {
        let html = app.get(&format!("/stats?days={days}")).send().await.text();
        // A few days of data: a few narrow bars, not bars that fill the screen.
        let bars = rect_widths(&html, "bar-fill");
        assert!(!bars.is_empty(), "{html}");
        assert!(bars.iter().all(|w| *w <= 28.0), "{bars:?}");
        let kcal = [rect_widths(&html, "planned"), rect_widths(&html, "eaten")].concat();
        assert!(
            !kcal.is_empty() && kcal.iter().all(|w| *w <= 28.0),
            "{kcal:?}"
        );
        // Each chart has a natural size no wider than a phone column.
        for width in html
            .split(r#"<svg class="plot" width=""#)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            assert!(width.parse::<f64>().unwrap() <= 420.0, "{width}");
        }
        // The y axis reads 0% / 50% / 100%, and the top label is inside the chart.
        for label in ["0%", "50%", "100%"] {
            assert!(html.contains(&format!(">{label}</text>")), "{label}");
        }
        let top = html
            .split(r#"<text class="y" x="36" y=""#)
            .nth(3)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        assert!(top.parse::<f64>().unwrap() >= 8.0, "100% at y={top}");
        assert!(html.contains(r#"aria-label="Daily adherence, last "#));
        assert!(
            html.contains("kcal per day"),
            "the calories chart names its unit"
        );
        assert!(html.contains(&format!(r#"href="/stats?days={days}" aria-current="page""#)));
    }
}

#[tokio::test]
async fn meal_time_from_the_starter_shows_on_today_in_time_order() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    // Wednesday: the starter's Workday (breakfast, lunch, snack, dinner).
    let html = app
        .get("/")
        .header("accept", "text/html")
        .send()
        .await
        .text();
    let at: Vec<usize> = ["07:30", "12:30", "16:00", "19:00"]
        .iter()
        .map(|t| {
            html.find(&format!(
                r#"<time class="slot-time" datetime="{t}">{t}</time>"#
            ))
            .unwrap_or_else(|| panic!("{t} shown: {html}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    // Week shows the times too.
    let week = app
        .get("/week")
        .header("accept", "text/html")
        .send()
        .await
        .text();
    assert!(
        week.contains(r#"<time datetime="07:30">07:30</time> · Breakfast"#),
        "{week}"
    );
}

#[tokio::test]
async fn meal_time_is_edited_in_the_template_form_without_javascript() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    post_form(&app, "/setup/types/new", "name=Lunch").await;
    let lunch = ids(&app, "/api/v1/meal-types").await[0].clone();
    // Adding a row keeps the typed time on the first one.
    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("name=Day&slot={lunch}&slot_time=12%3A30&add_slot=1"),
    )
    .await;
    let html = r.text();
    assert_eq!(html.matches("data-slot-row").count(), 2, "{html}");
    assert!(html.contains(r#"name="slot_time" value="12:30""#), "{html}");
    // A bad time comes back as a form error next to the slots, nothing saved.
    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("name=Day&slot={lunch}&slot_time=25%3A00"),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(
        r.text().contains("Enter each time as HH:MM"),
        "{}",
        r.text()
    );
    assert!(ids(&app, "/api/v1/day-templates").await.is_empty());
    // Saved: the API shows the time, and the edit form shows it again.
    let r = post_form(
        &app,
        "/setup/templates/new",
        &format!("name=Day&slot={lunch}&slot_time=12%3A30"),
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let id = ids(&app, "/api/v1/day-templates").await[0].clone();
    let t = app
        .get(&format!("/api/v1/day-templates/{id}"))
        .send()
        .await
        .json();
    assert_eq!(t["slots"][0]["time"], "12:30");
    let html = app
        .get(&format!("/setup/templates/{id}"))
        .send()
        .await
        .text();
    assert!(html.contains(r#"name="slot_time" value="12:30""#), "{html}");
}

#[tokio::test]
async fn settings_calendar_feed_is_created_rotated_and_turned_off_with_plain_forms() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let html = app.get("/settings").send().await.text();
    assert!(
        html.contains(r#"<h2 id="feed-title">Calendar feed</h2>"#),
        "{html}"
    );
    assert!(html.contains("No feed yet."));
    assert!(html.contains(r#"action="/settings/calendar""#));
    assert!(html.contains(">Create feed</button>"));
    assert!(!html.contains("/settings/calendar/revoke"));
    // A cross-site post is refused.
    let r = app
        .post("/settings/calendar")
        .header("origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Create: the page comes back with the URL (once), never cached.
    let r = post_form(&app, "/settings/calendar", "").await;
    r.assert(StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let html = r.text();
    let start = html
        .find(r#"value="https://meals.example.org/calendar/"#)
        .expect("the URL");
    let url = html[start + 7..].split('"').next().unwrap().to_owned();
    assert!(url.ends_with(".ics"));
    assert!(
        html.contains("data-copy-feed hidden"),
        "Copy URL waits for JavaScript"
    );
    assert!(html.contains(">Rotate feed address</button>"));
    assert!(html.contains(r#"action="/settings/calendar/revoke""#));
    let path = url
        .strip_prefix("https://meals.example.org")
        .unwrap()
        .to_owned();
    let feed = app.get(&path).no_cookies().send().await;
    feed.assert(StatusCode::OK);
    // Later visits say the feed is on without showing the address again.
    let html = app.get("/settings").send().await.text();
    assert!(html.contains("Your feed is on."));
    assert!(!html.contains(&url));
    // Rotate: a new URL; the old one is gone.
    let html = post_form(&app, "/settings/calendar", "").await.text();
    assert!(html.contains("the old one no longer works"));
    assert!(!html.contains(&url));
    assert_eq!(
        app.get(&path).no_cookies().send().await.status,
        StatusCode::NOT_FOUND
    );
    let start = html
        .find(r#"value="https://meals.example.org/calendar/"#)
        .unwrap();
    let rotated = html[start + 7..].split('"').next().unwrap().to_owned();
    let rotated_path = rotated
        .strip_prefix("https://meals.example.org")
        .unwrap()
        .to_owned();
    // Turn off.
    let r = post_form(&app, "/settings/calendar/revoke", "").await;
    assert!(r.status.is_redirection());
    assert_eq!(
        app.get(&rotated_path).no_cookies().send().await.status,
        StatusCode::NOT_FOUND
    );
    let html = app.get("/settings").send().await.text();
    assert!(html.contains("No feed yet."));
}

#[tokio::test]
async fn settings_reminders_section_saves_with_a_plain_form_and_offers_the_device_switch() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let html = app.get("/settings").send().await.text();
    assert!(
        html.contains(r#"<h2 id="reminders-title">Reminders</h2>"#),
        "{html}"
    );
    // The device switch waits for JavaScript (it needs the browser's push subscription) and
    // carries the server's key; no inline script.
    let key = app.get("/api/v1/push/key").send().await.json()["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!(r#"data-push-key="{key}""#)));
    assert!(html.contains("data-push-toggle aria-pressed=\"false\" hidden"));
    assert!(html.contains("0 devices receive your reminders."));
    // Defaults.
    assert!(html.contains(r#"name="lead_minutes" type="number" inputmode="numeric" min="0" max="240" step="1" value="10""#));
    assert!(html.contains(r#"<option value="7" selected>Sunday</option>"#));
    assert!(html.contains(r#"name="nudge_time" type="time" value="18:00""#));
    assert!(html.contains(r#"<option value="push" selected>Notification</option>"#));
    assert!(
        html.contains(r#"name="digest_time" type="time" value="""#),
        "no digest by default"
    );
    // A cross-site post is refused.
    let r = app
        .post("/settings/reminders")
        .header("origin", "https://evil.example")
        .raw(FORM, "lead_minutes=5")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Save.
    let r = post_form(
        &app,
        "/settings/reminders",
        "lead_minutes=25&nudge_weekday=6&nudge_time=09%3A15&nudge_channel=both&digest_time=07%3A05",
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let html = app.get("/settings").send().await.text();
    assert!(html.contains("Reminder settings saved."));
    assert!(html.contains(r#"step="1" value="25""#));
    assert!(html.contains(r#"<option value="6" selected>Saturday</option>"#));
    assert!(html.contains(r#"type="time" value="09:15""#));
    assert!(html.contains(r#"<option value="both" selected>Notification and e-mail</option>"#));
    assert!(html.contains(r#"name="digest_time" type="time" value="07:05""#));
    // Bad values: the form comes back with what is wrong, nothing saved.
    let r = post_form(
        &app,
        "/settings/reminders",
        "lead_minutes=-3&nudge_weekday=9&nudge_time=25%3A00&nudge_channel=sms&digest_time=7am",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("a number of minutes from 0 to 240"), "{html}");
    assert!(html.contains("Choose a day for the planning reminder."));
    assert!(html.contains("a time such as 18:00"));
    assert!(html.contains("Choose how the planning reminder reaches you."));
    assert!(html.contains("The daily e-mail needs a time such as 07:00"));
    assert!(html.contains(r#"step="1" value="25""#), "unchanged");
}

#[tokio::test]
async fn service_worker_shows_reminders_and_marks_slots_from_their_actions() {
    let app = TestApp::new().await;
    let sw = app.get("/sw.js").send().await.text();
    for needle in [
        "addEventListener('push'",
        "showNotification(",
        "addEventListener('notificationclick'",
        "{ followed: 'Followed', skipped: 'Skip' }",
        "/api/v1/slots/${data.slot_id}/complete",
        "'Idempotency-Key': step.key",
        "indexedDB.open('mealframe', 1)",
        "openWindow(",
    ] {
        assert!(sw.contains(needle), "sw.js lacks {needle}");
    }
}
