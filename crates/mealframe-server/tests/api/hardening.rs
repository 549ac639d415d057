//! Findings of the security review (issue 10), one test per finding: each failed before its fix.
//! Classes of bad input (NUL characters, extreme dates, control characters) are refused at the
//! parsers every route uses, so these tests try several routes of each class.

use axum::http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, count};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const ORIGIN: &str = "https://meals.example.org";

async fn sign_in(app: &TestApp, email: &str) {
    app.signup(email).await;
    let r = app
        .post("/login")
        .header("origin", ORIGIN)
        .raw(
            FORM,
            format!("email={email}&password=correct+horse&next=%2F"),
        )
        .send()
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text());
}

// ----- row 1: the web day-template form and delete guards are scoped to the user -----------------

#[tokio::test]
async fn the_web_template_form_refuses_another_users_meal_type() {
    let app = TestApp::new().await;
    let bob = app.signup("bob@example.com").await;
    let bobs_type = app
        .create(&bob, "/api/v1/meal-types", json!({"name": "Bob's lunch"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    sign_in(&app, "ana@example.com").await;

    let r = app
        .post("/setup/templates/new")
        .header("origin", ORIGIN)
        .raw(FORM, format!("name=Workday&slot={bobs_type}"))
        .send()
        .await;
    assert!(
        r.status.is_client_error(),
        "{}: the form must refuse a foreign type",
        r.status
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM day_templates").await, 0);

    // Bob can still delete his type: nobody else's template points at it.
    app.delete(&format!("/api/v1/meal-types/{bobs_type}"))
        .bearer(&bob)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn deleting_another_users_type_or_template_on_the_web_answers_like_an_unknown_id() {
    let app = TestApp::new().await;
    let bob = app.seed("bob@example.com").await;
    sign_in(&app, "ana@example.com").await;
    let delete = |path: String| {
        let app = &app;
        async move { app.post(&path).header("origin", ORIGIN).send().await }
    };
    let unknown = uuid::Uuid::new_v4();
    let types = [
        delete(format!("/setup/types/{unknown}/delete")).await,
        delete(format!("/setup/types/{}/delete", bob.types["Lunch"])).await,
    ];
    assert_eq!(types[0].status, StatusCode::NOT_FOUND);
    assert_eq!(types[1].status, types[0].status, "{}", types[1].text());
    assert_eq!(types[1].header("location"), None);

    let templates = [
        delete(format!("/setup/templates/{unknown}/delete")).await,
        delete(format!("/setup/templates/{}/delete", bob.template)).await,
    ];
    assert_eq!(templates[0].status, StatusCode::NOT_FOUND);
    assert_eq!(templates[1].status, templates[0].status);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM day_templates").await, 1);
}

// ----- row 2: redirects after sign-in stay on this site ------------------------------------------

#[tokio::test]
async fn next_with_tabs_newlines_or_control_characters_goes_home() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%0D%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%01x",
        "%2F%7Fx",
        "%2F%20%2Fevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        app.clear_cookies();
        let r = app
            .post("/login")
            .header("origin", ORIGIN)
            .raw(
                FORM,
                format!("email=ana%40example.com&password=correct+horse&next={next}"),
            )
            .send()
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.text());
        assert_eq!(r.header("location"), Some("/"), "{next}");
        assert!(app.cookie("mf_session").is_some(), "{next}: signed in");

        // Already signed in: the login page redirects at once, by the same rule.
        let r = app.get(&format!("/login?next={next}")).send().await;
        assert!(r.status.is_redirection(), "{next}: {}", r.status);
        assert_eq!(r.header("location"), Some("/"), "{next}");
    }
    // A plain same-site path is kept.
    let r = app
        .get("/login?next=%2Fweek%3Fstart%3D2026-11-16")
        .send()
        .await;
    assert_eq!(r.header("location"), Some("/week?start=2026-11-16"));
}

#[tokio::test]
async fn a_failed_sign_in_sets_no_session_cookie() {
    let app = TestApp::new().await;
    app.signup("ana@example.com").await;
    app.clear_cookies();
    let r = app
        .post("/login")
        .header("origin", ORIGIN)
        .raw(
            FORM,
            "email=ana%40example.com&password=wrong+password&next=%2F%01",
        )
        .send()
        .await;
    r.assert(StatusCode::UNAUTHORIZED);
    assert!(
        r.set_cookies()
            .iter()
            .all(|c| !c.starts_with("mf_session=")),
        "{:?}",
        r.set_cookies()
    );
}

// ----- row 3: NUL characters are refused at the parsers -------------------------------------------

#[tokio::test]
async fn nul_characters_in_json_bodies_are_a_422_on_every_route() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/analytics/pageview")
        .json(json!({"page_url": "/a\u{0}b"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["body", "page_url"]));

    let token = app.signup("ana@example.com").await;
    for (path, body) in [
        ("/api/v1/meal-types", json!({"name": "\u{0}"})),
        ("/api/v1/meal-types", json!({"name": "Lunch\u{0}"})),
        (
            "/api/v1/meals",
            json!({"name": "Soup", "portion_description": "1 bowl", "notes": "x\u{0}"}),
        ),
        (
            "/api/v1/day-templates",
            json!({"name": "A\u{0}", "slots": []}),
        ),
        (
            "/api/v1/auth/login",
            json!({"email": "a\u{0}@example.com", "password": "x"}),
        ),
    ] {
        let r = app
            .post(path)
            .bearer(&token)
            .json(body.clone())
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {}",
            r.text()
        );
        assert!(r.text().contains("NUL"), "{}", r.text());
    }
    // A NUL in a key is refused too.
    let r = app
        .post("/api/v1/meal-types")
        .bearer(&token)
        .json(json!({"name": "Lunch", "x\u{0}": 1}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 0);
}

#[tokio::test]
async fn nul_characters_in_queries_and_forms_are_refused() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let r = app
        .get("/api/v1/meals?search=a%00b")
        .bearer(&token)
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.detail()[0]["loc"], json!(["query", "search"]));

    // The unauthenticated sign-in form.
    app.clear_cookies();
    let r = app
        .post("/login")
        .header("origin", ORIGIN)
        .raw(FORM, "email=a%00%40example.com&password=x&next=%2F")
        .send()
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);

    // A page form.
    sign_in(&app, "ben@example.com").await;
    let r = app
        .post("/setup/types/new")
        .header("origin", ORIGIN)
        .raw(FORM, "name=%00")
        .send()
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM meal_types").await, 0);
}

// ----- row 5: dates near the ends of the calendar ------------------------------------------------

#[tokio::test]
async fn dates_outside_the_supported_range_are_a_422_not_a_panic() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    for date in [
        "9999-12-27",
        "9999-12-31",
        "-9999-01-01",
        "0001-01-01",
        "1899-12-31",
    ] {
        let r = app
            .post("/api/v1/weekly-plans/generate")
            .bearer(&lib.token)
            .json(json!({"week_start_date": date}))
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{date}: {}",
            r.text()
        );
        let r = app
            .get(&format!(
                "/api/v1/weekly-plans/current?week_start_date={date}"
            ))
            .bearer(&lib.token)
            .send()
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{date}: {}",
            r.text()
        );
        let r = app
            .post("/api/v1/today/slots")
            .bearer(&lib.token)
            .json(json!({"date": date, "meal_id": lib.meals["Oats"]}))
            .send()
            .await;
        assert!(r.status.is_client_error(), "{date}: {}", r.status);
    }
    // The far but supported future still works.
    app.post("/api/v1/weekly-plans/generate")
        .bearer(&lib.token)
        .json(json!({"week_start_date": "8999-12-23"}))
        .send()
        .await
        .assert(StatusCode::CREATED);

    sign_in(&app, "ben@example.com").await;
    for date in ["9999-12-31", "-9999-01-01"] {
        let r = app
            .get(&format!("/week?start={date}"))
            .header("accept", "text/html")
            .send()
            .await;
        assert!(r.status != StatusCode::INTERNAL_SERVER_ERROR, "{date}");
        let r = app
            .post(&format!("/week/day/{date}/override"))
            .header("origin", ORIGIN)
            .raw(FORM, "reason=travel")
            .send()
            .await;
        assert!(r.status != StatusCode::INTERNAL_SERVER_ERROR, "{date}");
    }
}

// ----- row 8: the Today page's data island cannot be closed by a meal name -----------------------

#[tokio::test]
async fn a_meal_name_cannot_break_out_of_the_today_pages_data() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    app.post("/api/v1/meals")
        .header("origin", ORIGIN)
        .json(json!({"name": "Soup <!--<script> & </script>", "portion_description": "1 bowl"}))
        .send()
        .await
        .assert(StatusCode::CREATED);
    let html = app
        .get("/")
        .header("accept", "text/html")
        .send()
        .await
        .text();
    let start = html.find("id=\"mf-data\">").expect("data island") + "id=\"mf-data\">".len();
    let end = start + html[start..].find("</script>").expect("island closes");
    let island = &html[start..end];
    assert!(island.contains("Soup"), "the meal is in the island");
    assert!(!island.contains('<') && !island.contains('>'), "{island}");
    let data: serde_json::Value = serde_json::from_str(island).expect("island is JSON");
    assert!(data.to_string().contains("Soup <!--<script> & </script>"));
}

// ----- row 9: CSV export cannot carry spreadsheet formulas ---------------------------------------

#[tokio::test]
async fn exported_csv_neutralises_formulas_and_imports_back_unchanged() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    for (name, notes) in [
        ("=HYPERLINK(\"http://evil.example\")", "+1"),
        ("@SUM(A1)", "-2+3"),
        ("Plain soup", "=cmd"),
    ] {
        app.create(
            &token,
            "/api/v1/meals",
            json!({"name": name, "portion_description": "1 bowl", "notes": notes}),
        )
        .await;
    }
    let csv = app
        .get("/api/v1/meals/export")
        .bearer(&token)
        .send()
        .await
        .text();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    for rec in reader.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} starts a formula"
            );
        }
    }
    // Importing the export into another account gives back the same text.
    let ben = app.signup("ben@example.com").await;
    let (ct, body) =
        crate::helpers::multipart("file", "meals.csv", Some("text/csv"), csv.as_bytes());
    let r = app
        .post("/api/v1/meals/import")
        .bearer(&ben)
        .header("content-type", &ct)
        .raw(None, body)
        .send()
        .await;
    r.assert(StatusCode::OK);
    let meals = app.get_json(&ben, "/api/v1/meals?page_size=100").await;
    let mut names: Vec<String> = meals["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "=HYPERLINK(\"http://evil.example\")",
            "@SUM(A1)",
            "Plain soup"
        ]
    );
}

// ----- row 10: pages carry the browser's protections --------------------------------------------

#[tokio::test]
async fn pages_send_security_headers() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    for path in [
        "/login",
        "/",
        "/week",
        "/meals",
        "/setup",
        "/stats",
        "/settings",
    ] {
        let req = app.get(path).header("accept", "text/html");
        let req = if path == "/login" {
            req.no_cookies()
        } else {
            req
        };
        let r = req.send().await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            r.header("referrer-policy"),
            Some("strict-origin-when-cross-origin"),
            "{path}"
        );
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
    }
    // API answers say nosniff too.
    let r = app.get("/api/v1/health").send().await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

// ----- row 11: logout needs our origin; no secret is echoed --------------------------------------

#[tokio::test]
async fn a_cross_site_logout_is_refused() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    let r = app
        .post("/logout")
        .header("origin", "https://evil.example")
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    app.get("/api/v1/today").send().await.assert(StatusCode::OK);

    let r = app
        .post("/api/v1/auth/logout")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await;
    r.assert(StatusCode::FORBIDDEN);
    app.get("/api/v1/today").send().await.assert(StatusCode::OK);
}

#[tokio::test]
async fn validation_errors_never_echo_a_password() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "ana@example.com", "password": "short7!"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text().contains("short7!"), "{}", r.text());
    let token = app.signup("ben@example.com").await;
    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&token)
        .json(json!({"current_password": "correct horse", "new_password": "tiny-pw"}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text().contains("tiny-pw"), "{}", r.text());
}

#[cfg(unix)]
#[tokio::test]
async fn mail_files_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::builder().outbox().build().await;
    app.signup("ana@example.com").await;
    let dir = app.outbox.as_ref().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        seen += 1;
    }
    assert!(seen > 0);
}

// ----- row 14: every missing field is listed ------------------------------------------------------

#[tokio::test]
async fn registering_with_an_empty_body_lists_every_missing_field() {
    let app = TestApp::new().await;
    let r = app
        .post("/api/v1/auth/register")
        .json(json!({}))
        .send()
        .await;
    r.assert(StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<_> = r
        .detail()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        [json!(["body", "email"]), json!(["body", "password"])]
    );
    assert!(
        r.detail()
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["type"] == "missing")
    );
}

// ----- row 17: booleans in queries are parsed, not guessed --------------------------------------

#[tokio::test]
async fn a_bad_boolean_query_parameter_is_a_422() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    for bad in ["maybe", "null", "2"] {
        let r = app
            .get(&format!("/api/v1/meals?search=a&search_portion={bad}"))
            .bearer(&token)
            .send()
            .await;
        r.assert(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.detail()[0]["type"], "bool_parsing");
        assert_eq!(r.detail()[0]["loc"], json!(["query", "search_portion"]));
    }
    // Repeated, the last value counts (as in Starlette); a bad last value is refused.
    app.get("/api/v1/meals?search=a&search_portion=maybe&search_portion=false")
        .bearer(&token)
        .send()
        .await
        .assert(StatusCode::OK);
    app.get("/api/v1/meals?search=a&search_portion=true&search_portion=maybe")
        .bearer(&token)
        .send()
        .await
        .assert(StatusCode::UNPROCESSABLE_ENTITY);
    for good in ["true", "false", "1", "0", "yes", "no", "on", "off", "True"] {
        app.get(&format!("/api/v1/meals?search=a&search_portion={good}"))
            .bearer(&token)
            .send()
            .await
            .assert(StatusCode::OK);
    }
}

// ----- row 7: revocation reaches access tokens at once ------------------------------------------

#[tokio::test]
async fn access_tokens_end_at_once_on_logout_everywhere_and_password_change() {
    let app = TestApp::new().await;
    let laptop = app.signup("ana@example.com").await;
    let phone = app.login("ana@example.com", "correct horse").await;
    let me = |token: String| {
        let app = &app;
        async move {
            app.get("/api/v1/auth/me")
                .bearer(&token)
                .send()
                .await
                .status
        }
    };
    assert_eq!(me(phone.clone()).await, StatusCode::OK);
    app.post("/api/v1/auth/logout-all")
        .bearer(&laptop)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(laptop).await, StatusCode::UNAUTHORIZED);

    let laptop = app.login("ana@example.com", "correct horse").await;
    let phone = app.login("ana@example.com", "correct horse").await;
    let r = app
        .post("/api/v1/auth/change-password")
        .bearer(&laptop)
        .json(json!({"current_password": "correct horse", "new_password": "battery staple"}))
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.json()["message"],
        "Password changed. Other sessions have been signed out."
    );
    let renewed = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(renewed).await,
        StatusCode::OK,
        "the caller stays signed in"
    );
}
