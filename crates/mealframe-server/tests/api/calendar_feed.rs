//! Issue 13: the calendar feed (`GET /calendar/{token}.ics`) and its secret
//! (`POST`/`DELETE /api/v1/calendar/token`): valid iCalendar read back with a strict parser, one
//! event per planned slot, timed in UTC from the local meal time (DST-proof) or all-day, stable
//! UIDs, ETag/304, rotation and revocation, and users' isolation.

use std::str::FromStr;

use axum::http::StatusCode;
use dbkit::Timestamp;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
use serde_json::{Value, json};

use crate::{helpers::TestApp, planning_support::Library};

/// One event as the strict parser read it: (UID, SUMMARY, DESCRIPTION, DTSTART value, whether
/// DTSTART is a DATE, DTEND value).
#[derive(Debug, Clone, PartialEq)]
struct Ev {
    uid: String,
    summary: String,
    description: String,
    start: String,
    all_day: bool,
    end: String,
    stamp: String,
}

/// Parse a feed strictly: RFC 5545 line syntax (CRLF, lines of at most 75 octets), the
/// `icalendar` parser with strict dates (a DATE needs `VALUE=DATE`), the required calendar and
/// event properties.
fn parse(body: &str) -> Vec<Ev> {
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    for line in body.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break"
        );
        assert!(line.len() <= 75, "unfolded line over 75 octets: {line}");
    }
    let typed = icalendar::Calendar::from_str(body).expect("a valid calendar");
    assert_eq!(typed.property_value("VERSION"), Some("2.0"));
    assert!(typed.property_value("PRODID").is_some());
    for e in typed.events() {
        let start = e.get_start().expect("DTSTART parses");
        let end = e.get_end().expect("DTEND parses");
        match (&start, &end) {
            (
                DatePerhapsTime::DateTime(CalendarDateTime::Utc(s)),
                DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)),
            ) => assert!(t > s),
            (DatePerhapsTime::Date(s), DatePerhapsTime::Date(t)) => assert!(t > s),
            other => panic!("start and end of one kind, UTC or DATE: {other:?}"),
        }
        assert!(e.get_timestamp().is_some(), "DTSTAMP is UTC");
    }
    let unfolded = icalendar::parser::unfold(body);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("parses");
    let mut out = Vec::new();
    for c in cal.components.iter().filter(|c| c.name == "VEVENT") {
        let prop = |n: &str| c.properties.iter().find(|p| p.name == n);
        let val = |n: &str| {
            prop(n)
                .unwrap_or_else(|| panic!("{n} missing"))
                .val
                .as_str()
                .to_owned()
        };
        let start = prop("DTSTART").unwrap();
        let all_day = start
            .params
            .iter()
            .any(|p| p.key == "VALUE" && p.val.as_ref().is_some_and(|v| v.as_str() == "DATE"));
        out.push(Ev {
            uid: val("UID"),
            summary: val("SUMMARY"),
            description: val("DESCRIPTION"),
            start: val("DTSTART"),
            all_day,
            end: val("DTEND"),
            stamp: val("DTSTAMP"),
        });
    }
    assert_eq!(out.len(), typed.events().count());
    out
}

/// Create (or rotate) the feed; returns the feed's path.
async fn feed_path(app: &TestApp, token: &str) -> String {
    let r = app
        .post("/api/v1/calendar/token")
        .bearer(token)
        .send()
        .await;
    assert!(
        r.status == StatusCode::CREATED || r.status == StatusCode::OK,
        "{}",
        r.text()
    );
    let url = r.json()["url"].as_str().unwrap().to_owned();
    url.strip_prefix("https://meals.example.org")
        .expect("the public URL")
        .to_owned()
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, Option<String>) {
    let r = app.get(path).no_cookies().send().await;
    (r.status, r.text(), r.header("etag").map(str::to_owned))
}

async fn events(app: &TestApp, path: &str) -> Vec<Ev> {
    let (status, body, _) = fetch(app, path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    parse(&body)
}

async fn set_times(app: &TestApp, lib: &Library, breakfast: Value, lunch: Value) {
    app.put(&format!("/api/v1/day-templates/{}", lib.template))
        .bearer(&lib.token)
        .json(json!({"slots": [
            {"position": 1, "meal_type_id": lib.types["Breakfast"], "time": breakfast},
            {"position": 2, "meal_type_id": lib.types["Lunch"], "time": lunch}]}))
        .send()
        .await
        .assert(StatusCode::OK);
}

#[tokio::test]
async fn calendar_feed_has_one_event_per_planned_slot_timed_or_all_day() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    set_times(&app, &lib, json!("07:30"), json!(null)).await;
    let path = feed_path(&app, &lib.token).await;
    let r = app.get(&path).no_cookies().send().await;
    r.assert(StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let body = r.text();
    // The line break in the description travels escaped (RFC 5545 §3.3.11).
    assert!(
        body.contains("DESCRIPTION:Portion: portion 0\\n350 kcal"),
        "{body}"
    );
    let evs = parse(&body);
    // Monday to Friday, breakfast and lunch.
    assert_eq!(evs.len(), 10);
    let breakfasts: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.summary.starts_with("Breakfast: "))
        .collect();
    assert_eq!(breakfasts.len(), 5);
    assert!(breakfasts.iter().all(|e| !e.all_day));
    // UTC is the user's zone here: 07:30 is 07:30Z, for 30 minutes.
    assert_eq!(breakfasts[0].start, "20261116T073000Z");
    assert_eq!(breakfasts[0].end, "20261116T080000Z");
    let lunches: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.summary.starts_with("Lunch: "))
        .collect();
    assert_eq!(lunches.len(), 5);
    assert!(lunches.iter().all(|e| e.all_day));
    assert_eq!(
        (lunches[0].start.as_str(), lunches[0].end.as_str()),
        ("20261116", "20261117")
    );
    // Summary is meal type + meal; the description has the portion and the macros.
    assert_eq!(breakfasts[0].summary, "Breakfast: Oats");
    assert_eq!(
        breakfasts[0].description,
        "Portion: portion 0\n350 kcal · protein 12.5 g"
    );
    // Every UID is distinct.
    let mut uids: Vec<_> = evs.iter().map(|e| e.uid.clone()).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), 10);
}

#[tokio::test]
async fn calendar_feed_of_a_user_without_weeks_is_an_empty_valid_calendar() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let path = feed_path(&app, &token).await;
    assert!(events(&app, &path).await.is_empty());
}

#[tokio::test]
async fn calendar_feed_keeps_0730_local_across_dst_in_ljubljana_and_new_york() {
    let app = TestApp::builder()
        .now(Timestamp::from(
            time::macros::datetime!(2026-10-20 12:00 UTC),
        ))
        .build()
        .await;
    for (email, zone, monday, expected) in [
        (
            "lj@example.com",
            "Europe/Ljubljana",
            "2026-10-19",
            // Summer time ends on Sunday 25 October: 07:30 CEST is 05:30Z, 07:30 CET 06:30Z.
            [
                "20261019T053000Z",
                "20261020T053000Z",
                "20261021T053000Z",
                "20261022T053000Z",
                "20261023T053000Z",
                "20261024T053000Z",
                "20261025T063000Z",
            ],
        ),
        (
            "ny@example.com",
            "America/New_York",
            "2026-10-26",
            // US summer time ends on Sunday 1 November: 07:30 EDT is 11:30Z, 07:30 EST 12:30Z.
            [
                "20261026T113000Z",
                "20261027T113000Z",
                "20261028T113000Z",
                "20261029T113000Z",
                "20261030T113000Z",
                "20261031T113000Z",
                "20261101T123000Z",
            ],
        ),
    ] {
        let lib = app.seed(email).await;
        app.patch("/api/v1/auth/me")
            .bearer(&lib.token)
            .json(json!({ "timezone": zone }))
            .send()
            .await
            .assert(StatusCode::OK);
        let days: Vec<Value> = (0..7)
            .map(|d| json!({"weekday": d, "day_template_id": lib.template}))
            .collect();
        app.put(&format!("/api/v1/week-plans/{}", lib.plan))
            .bearer(&lib.token)
            .json(json!({ "days": days }))
            .send()
            .await
            .assert(StatusCode::OK);
        set_times(&app, &lib, json!("07:30"), json!("12:30")).await;
        let (status, body) = app.generate(&lib.token, monday).await;
        assert!(status.is_success(), "{body}");
        let path = feed_path(&app, &lib.token).await;
        let evs = events(&app, &path).await;
        let mut breakfasts: Vec<String> = evs
            .iter()
            .filter(|e| e.summary.starts_with("Breakfast"))
            .map(|e| e.start.clone())
            .collect();
        breakfasts.sort();
        assert_eq!(breakfasts, expected, "{zone}");
    }
}

#[tokio::test]
async fn calendar_feed_uids_are_stable_across_requests_and_regeneration() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-23").await;
    let path = feed_path(&app, &lib.token).await;
    let (_, first, etag1) = fetch(&app, &path).await;
    let (_, second, etag2) = fetch(&app, &path).await;
    assert_eq!(first, second, "same plan, same bytes");
    assert_eq!(etag1, etag2);
    let before = parse(&first);
    // Regenerate next week: unmarked slots are re-rolled, their places and types unchanged.
    let (status, _) = app.generate(&lib.token, "2026-11-23").await;
    assert!(status.is_success());
    let after = events(&app, &path).await;
    let uids = |evs: &[Ev]| {
        let mut u: Vec<String> = evs.iter().map(|e| e.uid.clone()).collect();
        u.sort();
        u
    };
    assert_eq!(uids(&before), uids(&after));
    // Generating another week adds its events and keeps the first week's UIDs.
    app.generate(&lib.token, "2026-11-16").await;
    let both = events(&app, &path).await;
    assert_eq!(both.len(), 20);
    assert!(uids(&before).iter().all(|u| uids(&both).contains(u)));
}

#[tokio::test]
async fn calendar_feed_answers_304_to_its_etag_and_200_after_a_change() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    app.generate(&lib.token, "2026-11-16").await;
    let path = feed_path(&app, &lib.token).await;
    let (_, _, etag) = fetch(&app, &path).await;
    let etag = etag.expect("an ETag");
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "{etag}");
    let r = app
        .get(&path)
        .no_cookies()
        .header("if-none-match", &etag)
        .send()
        .await;
    r.assert(StatusCode::NOT_MODIFIED);
    assert!(r.text().is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = app
        .get(&path)
        .no_cookies()
        .header(
            "if-none-match",
            &format!("\"other\", {}", etag.trim_start_matches("W/")),
        )
        .send()
        .await;
    r.assert(StatusCode::NOT_MODIFIED);
    // A change to what the feed shows: a new ETag, and the old one gets the full feed.
    set_times(&app, &lib, json!("08:00"), json!(null)).await;
    let r = app
        .get(&path)
        .no_cookies()
        .header("if-none-match", &etag)
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert!(r.text().contains("T080000Z"));
}

#[tokio::test]
async fn calendar_token_rotation_makes_the_old_url_404_and_revoke_ends_the_feed() {
    let app = TestApp::new().await;
    let lib = app.seed("ana@example.com").await;
    let r = app
        .post("/api/v1/calendar/token")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::CREATED);
    assert_eq!(r.json()["rotated"], false);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let old = r.json()["url"].as_str().unwrap().to_owned();
    assert!(old.starts_with("https://meals.example.org/calendar/") && old.ends_with(".ics"));
    let old_path = old.strip_prefix("https://meals.example.org").unwrap();
    assert_eq!(fetch(&app, old_path).await.0, StatusCode::OK);
    let r = app
        .post("/api/v1/calendar/token")
        .bearer(&lib.token)
        .send()
        .await;
    r.assert(StatusCode::OK);
    assert_eq!(r.json()["rotated"], true);
    let new = r.json()["url"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert_eq!(fetch(&app, old_path).await.0, StatusCode::NOT_FOUND);
    let new_path = new.strip_prefix("https://meals.example.org").unwrap();
    assert_eq!(fetch(&app, new_path).await.0, StatusCode::OK);
    app.delete("/api/v1/calendar/token")
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, new_path).await.0, StatusCode::NOT_FOUND);
    // Revoking again is still 204.
    app.delete("/api/v1/calendar/token")
        .bearer(&lib.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn calendar_token_routes_need_a_user_and_unknown_feeds_are_404() {
    let app = TestApp::new().await;
    app.post("/api/v1/calendar/token")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    app.delete("/api/v1/calendar/token")
        .send()
        .await
        .assert(StatusCode::UNAUTHORIZED);
    let unknown = format!("/calendar/{}.ics", "A".repeat(64));
    assert_eq!(fetch(&app, &unknown).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        fetch(&app, "/calendar/short.ics").await.0,
        StatusCode::NOT_FOUND
    );
    let token = app.signup("ana@example.com").await;
    let path = feed_path(&app, &token).await;
    // The right token without the `.ics` ending is not the feed.
    let bare = path.strip_suffix(".ics").unwrap();
    assert_eq!(fetch(&app, bare).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn calendar_token_answer_is_never_stored_for_an_idempotency_key() {
    let app = TestApp::new().await;
    let token = app.signup("ana@example.com").await;
    let send = || {
        app.post("/api/v1/calendar/token")
            .bearer(&token)
            .header("idempotency-key", "feed-1")
            .send()
    };
    let first = send().await;
    let second = send().await;
    assert!(second.header("idempotent-replayed").is_none());
    assert_ne!(
        first.json()["url"],
        second.json()["url"],
        "a repeat rotates again"
    );
    assert_eq!(
        crate::helpers::count(&app, "SELECT COUNT(*) FROM idempotency_keys").await,
        0
    );
}

#[tokio::test]
async fn calendar_feed_never_shows_another_users_plan() {
    let app = TestApp::new().await;
    let ana = app.seed("ana@example.com").await;
    let bob = app.seed("bob@example.com").await;
    app.generate(&ana.token, "2026-11-16").await;
    let ana_path = feed_path(&app, &ana.token).await;
    let bob_path = feed_path(&app, &bob.token).await;
    assert_eq!(events(&app, &ana_path).await.len(), 10);
    assert!(events(&app, &bob_path).await.is_empty());
    app.generate(&bob.token, "2026-11-16").await;
    let a = events(&app, &ana_path).await;
    let b = events(&app, &bob_path).await;
    assert_eq!((a.len(), b.len()), (10, 10));
    // Same library names and dates, yet no shared UID: the UID includes the user.
    assert!(a.iter().all(|e| b.iter().all(|f| f.uid != e.uid)));
    // Bob revoking his feed leaves Ana's working.
    app.delete("/api/v1/calendar/token")
        .bearer(&bob.token)
        .send()
        .await
        .assert(StatusCode::NO_CONTENT);
    assert_eq!(events(&app, &ana_path).await.len(), 10);
}
