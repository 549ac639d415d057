//! The Today and Stats views are cached per user, keyed by a data version that database triggers
//! move forward: every change shows at once, whichever path wrote it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, count};
use crate::library_meals::names;

async fn today(app: &TestApp, token: &str) -> Value {
    app.get_json(token, "/api/v1/today").await
}

async fn stats(app: &TestApp, token: &str) -> Value {
    app.get_json(token, "/api/v1/stats?days=7").await
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) {
    app.put(path)
        .bearer(token)
        .json(body)
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn a_cached_today_and_stats_show_every_change_at_once() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = &lib.token;
    app.generate(t, "2026-11-16").await;
    let first = today(&app, t).await;
    stats(&app, t).await;
    let slot = first["slots"][0]["id"].as_str().unwrap().to_owned();
    let meal = first["slots"][0]["meal"]["id"].as_str().unwrap().to_owned();

    // A mark (slot row).
    app.mark(t, &slot, "followed").await;
    assert_eq!(today(&app, t).await["stats"]["completed"], 1);
    assert_eq!(stats(&app, t).await["by_status"]["followed"], 1);

    // The library as the views show it (meal, template, meal type).
    put(
        &app,
        t,
        &format!("/api/v1/meals/{meal}"),
        json!({"name": "Porridge"}),
    )
    .await;
    assert_eq!(today(&app, t).await["slots"][0]["meal"]["name"], "Porridge");
    put(
        &app,
        t,
        &format!("/api/v1/day-templates/{}", lib.template),
        json!({"name": "Office day"}),
    )
    .await;
    assert_eq!(today(&app, t).await["template"]["name"], "Office day");
    put(
        &app,
        t,
        &format!("/api/v1/meal-types/{}", lib.types["Breakfast"]),
        json!({"name": "Morning"}),
    )
    .await;
    let names: Vec<Value> = stats(&app, t).await["by_meal_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert!(names.contains(&json!("Morning")), "{names:?}");

    // A day (override) and back.
    put(
        &app,
        t,
        "/api/v1/weekly-plans/current/days/2026-11-18/override",
        json!({"reason": "Travel"}),
    )
    .await;
    let off = today(&app, t).await;
    assert_eq!(
        (off["is_override"].clone(), off["slots"].clone()),
        (json!(true), json!([]))
    );
    app.delete("/api/v1/weekly-plans/current/days/2026-11-18/override")
        .bearer(t)
        .send()
        .await
        .assert(StatusCode::OK);
    assert_eq!(today(&app, t).await["is_override"], false);
}

#[tokio::test]
async fn a_write_that_bypasses_the_server_code_still_shows() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = &lib.token;
    app.generate(t, "2026-11-16").await;
    assert_eq!(today(&app, t).await["stats"]["completed"], 0);
    let before = count(&app, "SELECT data_version FROM users").await;

    // As another instance of the server (or an operator) would: straight into the database.
    let mut tx = app.state.db.begin().await.unwrap();
    dbkit::execute!(
        tx.conn(),
        "UPDATE weekly_plan_slots SET completion_status = 'skipped' WHERE date = $1",
        time::macros::date!(2026 - 11 - 18)
    )
    .unwrap();
    tx.commit().await.unwrap();

    assert!(count(&app, "SELECT data_version FROM users").await > before);
    let after = today(&app, t).await;
    assert_eq!(after["stats"]["completed"], 2);
    assert_eq!(stats(&app, t).await["by_status"]["skipped"], 2);
}

#[tokio::test]
async fn one_users_changes_leave_anothers_version_alone() {
    let app = TestApp::new().await;
    let ana = app.seed("ana@example.com").await;
    let ben = app.seed("ben@example.com").await;
    app.generate(&ben.token, "2026-11-16").await;
    let version = |email: &'static str| {
        let app = &app;
        async move {
            let mut r = app.state.db.reader().await.unwrap();
            dbkit::fetch_scalar!(
                r.conn(),
                i64,
                "SELECT data_version FROM users WHERE email = $1",
                email
            )
            .unwrap()
        }
    };
    let ben_before = version("ben@example.com").await;
    let ana_before = version("ana@example.com").await;
    app.generate(&ana.token, "2026-11-16").await;
    assert!(version("ana@example.com").await > ana_before);
    assert_eq!(version("ben@example.com").await, ben_before);
}

/// Every plan write takes the user's row first (PostgreSQL), so that the data-version trigger's
/// lock on it cannot interleave with slot locks: marking slots while the same week is regenerated
/// used to deadlock there (one side aborted with a 500).
#[tokio::test]
async fn marks_racing_a_regeneration_of_the_same_week_never_fail() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-23").await;
    let week = app
        .get_json(
            &lib.token,
            "/api/v1/weekly-plans/current?week_start_date=2026-11-23",
        )
        .await;
    let slots: Vec<String> = week["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["slots"].as_array().unwrap().clone())
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(slots.len(), 10);
    for round in 0..6 {
        let mut tasks = Vec::new();
        for k in 0..3 {
            let (gen_app, token) = (app.clone(), lib.token.clone());
            tasks.push(tokio::spawn(async move {
                gen_app.generate(&token, "2026-11-23").await.0
            }));
            // Slots late in the week, which a regeneration reaches last.
            for slot in slots.iter().rev().skip(k * 3).take(3) {
                let (app, token, slot) = (app.clone(), lib.token.clone(), slot.clone());
                tasks.push(tokio::spawn(async move {
                    let status = if round % 2 == 0 {
                        "followed"
                    } else {
                        "skipped"
                    };
                    app.post(&format!("/api/v1/slots/{slot}/complete"))
                        .bearer(&token)
                        .json(json!({ "status": status }))
                        .send()
                        .await
                        .status
                }));
            }
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), StatusCode::OK, "round {round}");
        }
        for slot in &slots {
            app.delete(&format!("/api/v1/slots/{slot}/complete"))
                .bearer(&lib.token)
                .send()
                .await
                .assert(StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn the_signed_in_user_is_never_older_than_the_database() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = &lib.token;
    assert_eq!(app.get_json(t, "/api/v1/auth/me").await["timezone"], "UTC");
    assert_eq!(app.get_json(t, "/api/v1/auth/me").await["timezone"], "UTC");

    // Another process (a second instance, an operator's tool) with its own connections.
    let other = dbkit::Db::open(&app.db.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut tx = other.begin().await.unwrap();
    dbkit::execute!(
        tx.conn(),
        "UPDATE users SET timezone = 'Europe/Ljubljana' WHERE email = 'ana@example.com'"
    )
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        app.get_json(t, "/api/v1/auth/me").await["timezone"],
        "Europe/Ljubljana"
    );

    let mut tx = other.begin().await.unwrap();
    dbkit::execute!(
        tx.conn(),
        "UPDATE users SET is_active = $1 WHERE email = 'ana@example.com'",
        false
    )
    .unwrap();
    tx.commit().await.unwrap();
    app.get("/api/v1/today")
        .bearer(t)
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    other.close().await;
}

#[tokio::test]
async fn cached_weeks_and_meal_pages_show_every_change_at_once() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = &lib.token;
    app.generate(t, "2026-11-16").await;
    let breakfast = lib.types["Breakfast"].clone();
    let by_type = format!("?meal_type_id={breakfast}");
    let before = names(&app, t, "").await;
    let breakfasts = names(&app, t, &by_type).await;
    let week = app.get_json(t, "/api/v1/weekly-plans/current").await;
    let slot = week["days"][0]["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A new meal (an insert, linked to a type) shows in the list and in its type's filter.
    app.post("/api/v1/meals")
        .bearer(t)
        .json(json!({"name": "Aardvark oats", "portion_description": "1 bowl", "meal_type_ids": [breakfast]}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let after = names(&app, t, "").await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[0], "Aardvark oats", "sorted by name: {after:?}");
    assert_eq!(names(&app, t, &by_type).await.len(), breakfasts.len() + 1);

    // A mark shows in the cached week.
    app.mark(t, &slot, "skipped").await;
    let week = app.get_json(t, "/api/v1/weekly-plans/current").await;
    assert_eq!(week["days"][0]["slots"][0]["completion_status"], "skipped");

    // Regenerating answers the new week, not the cached one, and the next read agrees.
    let regenerated: Value = app
        .post("/api/v1/weekly-plans/generate")
        .bearer(t)
        .json(json!({"week_start_date": "2026-11-16"}))
        .send()
        .await
        .assert(StatusCode::OK)
        .json();
    assert_eq!(
        regenerated,
        app.get_json(t, "/api/v1/weekly-plans/current").await
    );
}

async fn user_id(app: &TestApp, email: &str) -> mealframe_core::ids::UserId {
    let mut r = app.state.db.reader().await.unwrap();
    let id: uuid::Uuid = dbkit::fetch_scalar!(
        r.conn(),
        uuid::Uuid,
        "SELECT id FROM users WHERE email = $1",
        email
    )
    .unwrap();
    id.into()
}

/// `library_version` of the account `email` (migration 0013).
async fn library_version(app: &TestApp, email: &str) -> i64 {
    let mut r = app.state.db.reader().await.unwrap();
    dbkit::fetch_scalar!(
        r.conn(),
        i64,
        "SELECT library_version FROM users WHERE email = $1",
        email
    )
    .unwrap()
}

/// A mark moves the data version but not the library version, so the meal list stays cached
/// while people mark their meals; a new meal moves it and shows on the very next read.
#[tokio::test]
async fn marks_leave_the_meal_list_cached_and_a_new_meal_shows_at_once() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let t = &lib.token;
    app.generate(t, "2026-11-16").await;
    let ana = user_id(&app, "ana@example.com").await;
    let first_page = (ana, None, None, "name", 1, 20);
    let before = names(&app, t, "").await;
    let version = library_version(&app, "ana@example.com").await;
    assert!(app.state.views.meal_pages.holds(&first_page, &version));

    let slot = today(&app, t).await["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mark(t, &slot, "followed").await;
    assert_eq!(today(&app, t).await["stats"]["completed"], 1);
    assert_eq!(library_version(&app, "ana@example.com").await, version);
    assert!(
        app.state.views.meal_pages.holds(&first_page, &version),
        "a mark left the meal list cached"
    );
    assert_eq!(names(&app, t, "").await, before);

    app.post("/api/v1/meals")
        .bearer(t)
        .json(json!({"name": "Aardvark oats", "portion_description": "1 bowl"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    assert!(library_version(&app, "ana@example.com").await > version);
    assert_eq!(names(&app, t, "").await[0], "Aardvark oats");
}

/// The signed-in rows are kept once the server knows whose rows change: at once on SQLite, after
/// the change listener's first round on PostgreSQL.
async fn until_rows_are_kept(app: &TestApp) {
    for _ in 0..200 {
        if app
            .state
            .views
            .signed_in
            .fresh(&app.state.db)
            .await
            .unwrap()
            .is_some()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the server never started keeping signed-in rows");
}

/// Another user's writes leave a signed-in user's row in memory; only the writer's row is dropped
/// (SQLite: the change token moved and migration 0012's change log names the writer; PostgreSQL:
/// migration 0014's notice names the writer).
#[tokio::test]
async fn another_users_writes_leave_a_signed_in_users_row_in_memory() {
    let app = TestApp::new().await;
    let ana = app.seed("ana@example.com").await;
    let ben = app.seed("ben@example.com").await;
    app.generate(&ben.token, "2026-11-16").await;
    until_rows_are_kept(&app).await;
    today(&app, &ana.token).await;
    today(&app, &ben.token).await;
    let (ana_id, ben_id) = (
        user_id(&app, "ana@example.com").await,
        user_id(&app, "ben@example.com").await,
    );
    let kept = &app.state.views.signed_in;
    assert!(kept.user(ana_id).is_some() && kept.user(ben_id).is_some());

    let slot = today(&app, &ben.token).await["slots"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mark(&ben.token, &slot, "followed").await;
    until_rows_are_kept(&app).await;
    assert!(kept.user(ana_id).is_some(), "Ana's row stays");
    assert!(kept.user(ben_id).is_none(), "Ben's row is read again");
    assert_eq!(today(&app, &ben.token).await["stats"]["completed"], 1);
}

/// Whether the signed-in row of the account `email` is kept in memory.
async fn kept(app: &TestApp, email: &str) -> bool {
    let user = user_id(app, email).await;
    app.state.views.signed_in.user(user).is_some()
}

/// PostgreSQL: a change committed while the change listener's connection is down is never
/// heard, so a lost connection drops every kept row; the next read shows the change.
#[tokio::test]
async fn a_change_made_while_the_listener_is_down_is_never_served_stale() {
    let app = TestApp::new().await;
    if app.state.db.engine() != dbkit::Engine::Postgres {
        return; // SQLite has no listener: its change token is read from the file.
    }
    let ana = app.seed("ana@example.com").await;
    let t = &ana.token;
    until_rows_are_kept(&app).await;
    assert_eq!(app.get_json(t, "/api/v1/auth/me").await["timezone"], "UTC");
    assert!(kept(&app, "ana@example.com").await);

    let other = dbkit::Db::open(&app.db.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut tx = other.begin().await.unwrap();
    let cut = dbkit::testing::cut_notice_listeners(tx.conn())
        .await
        .unwrap();
    assert_eq!(cut, 1, "one listener");
    // Nobody listens now: this change is announced to no one.
    dbkit::execute!(
        tx.conn(),
        "UPDATE users SET timezone = 'Europe/Ljubljana' WHERE email = 'ana@example.com'"
    )
    .unwrap();
    tx.commit().await.unwrap();
    other.close().await;
    assert_eq!(
        app.get_json(t, "/api/v1/auth/me").await["timezone"],
        "Europe/Ljubljana"
    );
    // Once it listens again, rows are kept again — the row kept before the cut is not.
    until_rows_are_kept(&app).await;
    assert_eq!(
        app.get_json(t, "/api/v1/auth/me").await["timezone"],
        "Europe/Ljubljana"
    );
    assert!(kept(&app, "ana@example.com").await);
}

/// A web session ended by another process (or a sign-out everywhere) is refused on the next
/// request, though the session and its user were kept in memory.
#[tokio::test]
async fn a_kept_session_ended_elsewhere_is_refused_at_once() {
    let app = TestApp::new().await;
    crate::web_pages::sign_in(&app, "ana@example.com").await;
    let today = || app.get("/api/v1/today").send();
    today().await.assert(StatusCode::OK);
    today().await.assert(StatusCode::OK);

    let other = dbkit::Db::open(&app.db.url, &dbkit::DbOptions::default())
        .await
        .unwrap();
    let mut tx = other.begin().await.unwrap();
    dbkit::execute!(tx.conn(), "DELETE FROM web_sessions").unwrap();
    tx.commit().await.unwrap();
    other.close().await;
    today().await.assert(StatusCode::UNAUTHORIZED);
}

/// Many users' marks interleaved with reads (the change token moves all the time): a read that
/// starts after a write's answer shows that write, every time. 300 rounds, each one user's mark
/// and read raced by two other users' marks and reads; statuses and users pseudo-random.
#[tokio::test]
async fn interleaved_writers_never_leave_a_read_older_than_its_users_last_write() {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    for i in 0..5 {
        let lib = app.seed(&format!("user{i}@example.com")).await;
        app.generate(&lib.token, "2026-11-16").await;
        tokens.push(lib.token);
    }
    let mut slots = Vec::new();
    for t in &tokens {
        let day = today(&app, t).await;
        let ids: Vec<String> = day["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        slots.push(ids);
    }
    const STATUSES: [&str; 4] = ["followed", "skipped", "equivalent", "social"];
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let mark = |user: usize, slot: usize, status: &'static str| {
        let (app, tokens, slots) = (&app, &tokens, &slots);
        async move {
            app.post(&format!("/api/v1/slots/{}/complete", slots[user][slot]))
                .bearer(&tokens[user])
                .json(json!({"status": status}))
                .send()
                .await
                .assert(StatusCode::OK);
        }
    };
    for round in 0..300 {
        let user = next(tokens.len());
        let slot = next(slots[user].len());
        let status = STATUSES[next(STATUSES.len())];
        let (a, b) = ((user + 1 + next(4)) % 5, (user + 1 + next(4)) % 5);
        let checked = async {
            mark(user, slot, status).await;
            let day = today(&app, &tokens[user]).await;
            let seen = day["slots"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == slots[user][slot].as_str())
                .unwrap()["completion_status"]
                .clone();
            assert_eq!(seen, status, "round {round}: user {user} read an older day");
        };
        let noise = async {
            if a != user {
                mark(a, next_free(round, slots[a].len()), STATUSES[round % 4]).await;
            }
            today(&app, &tokens[b]).await;
        };
        futures::join!(checked, noise);
    }
}

/// A slot index for the noise writers that differs from round to round.
fn next_free(round: usize, n: usize) -> usize {
    (round * 7 + 3) % n
}

/// Two instances on one database (each with its own caches), 1,000 pseudo-random rounds: a
/// change made through one (a mark, or a meal renamed) is seen by the very next read through
/// the other — the day, the week, and the meal list.
#[tokio::test]
async fn two_instances_never_serve_a_read_older_than_the_last_write() {
    let app = TestApp::new().await;
    let instances = [
        app.router.clone(),
        mealframe_server::router::router(app.another_instance()),
    ];
    let mut users = Vec::new();
    for i in 0..3 {
        let lib = app.seed(&format!("user{i}@example.com")).await;
        app.generate(&lib.token, "2026-11-16").await;
        let day = today(&app, &lib.token).await;
        let slots: Vec<String> = day["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect();
        let meal = lib.meals.values().next().unwrap().clone();
        users.push((lib.token, slots, meal));
    }
    const STATUSES: [&str; 5] = ["followed", "skipped", "equivalent", "social", "deviated"];
    let mut seed: u64 = 0xc0ffee;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    for round in 0..1000 {
        let (token, slots, meal) = &users[next(users.len())];
        let writer = &instances[next(2)];
        let reader = &instances[next(2)];
        if round % 10 == 9 {
            let name = format!("Meal {round}");
            app.put(&format!("/api/v1/meals/{meal}"))
                .on(writer)
                .bearer(token)
                .json(json!({"name": name}))
                .send()
                .await
                .assert(StatusCode::OK);
            let listed: Value = app
                .get("/api/v1/meals?page_size=100")
                .on(reader)
                .bearer(token)
                .send()
                .await
                .assert(StatusCode::OK)
                .json();
            let names: Vec<&str> = listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap())
                .collect();
            assert!(names.contains(&name.as_str()), "round {round}: {names:?}");
            continue;
        }
        let slot = &slots[next(slots.len())];
        let status = STATUSES[next(STATUSES.len())];
        let body = match status {
            "deviated" => json!({"status": status, "actual_meal_id": meal}),
            _ => json!({"status": status}),
        };
        app.post(&format!("/api/v1/slots/{slot}/complete"))
            .on(writer)
            .bearer(token)
            .json(body)
            .send()
            .await
            .assert(StatusCode::OK);
        let path = if next(2) == 0 {
            "/api/v1/today"
        } else {
            "/api/v1/weekly-plans/current"
        };
        let read: Value = app
            .get(path)
            .on(reader)
            .bearer(token)
            .send()
            .await
            .assert(StatusCode::OK)
            .json();
        let all_slots: Vec<&Value> = match path {
            "/api/v1/today" => read["slots"].as_array().unwrap().iter().collect(),
            _ => read["days"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|d| d["slots"].as_array().unwrap())
                .collect(),
        };
        let seen = all_slots.iter().find(|s| s["id"] == slot.as_str()).unwrap();
        assert_eq!(
            seen["completion_status"], status,
            "round {round}: {path} through the other instance is older than the mark"
        );
    }
}
