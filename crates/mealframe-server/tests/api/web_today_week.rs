//! Today and Week as pages: the next meal leads with a one-tap "Followed", yesterday's review
//! only for days the account existed, and Week's one-form-per-meal marking that works without
//! JavaScript (the circle posts "followed", or "" to clear once marked).

use time::Duration;

use crate::helpers::TestApp;
use crate::web_pages::{FORM, sign_in, starter_week};

const ORIGIN: &str = "https://meals.example.org";

async fn page(app: &TestApp, path: &str) -> String {
    app.get(path)
        .header("accept", "text/html")
        .send()
        .await
        .text()
}

/// The slot ids of `html` in the order the page shows them.
fn slot_ids(html: &str, marker: &str) -> Vec<String> {
    html.split(marker)
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_next_meal_comes_first_with_a_one_tap_followed_button() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let html = page(&app, "/").await;
    let hero = html.find("data-hero").expect("a next-meal section");
    let later = html.find("Later today").expect("the rest of the day");
    assert!(hero < later, "the next meal is above the rest of the day");
    let card = &html[hero..later];
    assert!(card.contains(r#"class="slot next"#), "{card}");
    assert!(card.contains(r#"data-quick="followed""#), "{card}");
}

#[tokio::test]
async fn yesterday_is_not_reviewed_for_a_day_before_the_account_existed() {
    // Signed up on Wednesday; the week generated then also fills Monday and Tuesday.
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    assert!(!page(&app, "/").await.contains(r#"id="yesterday""#));

    // On Thursday, Wednesday (the first day of use) is reviewed, closed to one line, after the
    // next meal.
    app.advance(Duration::days(1));
    let html = page(&app, "/").await;
    let review = html
        .find(r#"<details class="card yesterday" id="yesterday">"#)
        .unwrap_or_else(|| panic!("no review in {html}"));
    assert!(html.find("data-hero").unwrap() < review);
    assert!(html.contains("4 not marked"), "{html}");
    assert_eq!(html.matches(r#"data-y-mark="skipped""#).count(), 4);
}

#[tokio::test]
async fn week_circle_marks_followed_and_a_second_tap_clears() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    let html = page(&app, "/week").await;
    let slot = slot_ids(&html, r#"<li class="wmeal" data-slot=""#)
        .into_iter()
        .next()
        .expect("a meal row");
    let circle = format!(
        r#"<form method="post" action="/week/slot/{slot}/status" class="wmark" data-week-mark>
        <input type="hidden" name="status" value="followed">"#
    );
    assert!(html.contains(&circle), "{html}");

    let post = |status: &'static str| {
        app.post(&format!("/week/slot/{slot}/status"))
            .header("origin", ORIGIN)
            .raw(FORM, format!("status={status}"))
            .send()
    };
    let r = post("followed").await;
    assert!(r.status.is_redirection(), "{}", r.text());
    let html = page(&app, "/week").await;
    assert!(
        html.contains(&format!(
            r#"<li class="wmeal done" data-slot="{slot}" data-status="followed">"#
        )),
        "{html}"
    );
    // Marked, the circle posts an empty status: a second tap clears.
    assert!(html.contains(&format!(
        r#"action="/week/slot/{slot}/status" class="wmark" data-week-mark>
        <input type="hidden" name="status" value="">"#
    )));
    let r = post("").await;
    assert!(r.status.is_redirection(), "{}", r.text());
    assert!(page(&app, "/week").await.contains(&format!(
        r#"<li class="wmeal" data-slot="{slot}" data-status="">"#
    )));
}

#[tokio::test]
async fn week_shows_seven_days_with_unplanned_ones_in_place() {
    let app = TestApp::new().await;
    sign_in(&app, "ana@example.com").await;
    starter_week(&app).await;
    // A day without a plan (its slots and the day row removed) keeps its place in the week.
    let mut tx = app.state.db.begin().await.unwrap();
    for sql in [
        "DELETE FROM weekly_plan_slots WHERE date = '2026-11-20'",
        "DELETE FROM weekly_plan_days WHERE date = '2026-11-20'",
    ] {
        dbkit::execute!(&mut tx.conn(), sql).unwrap();
    }
    tx.commit().await.unwrap();
    let html = page(&app, "/week").await;
    assert_eq!(html.matches(r##"<a href="#day-"##).count(), 7, "{html}");
    let thursday = html.find(r#"id="day-2026-11-19""#).unwrap();
    let friday = html.find(r#"id="day-2026-11-20""#).unwrap();
    let saturday = html.find(r#"id="day-2026-11-21""#).unwrap();
    assert!(thursday < friday && friday < saturday);
}
