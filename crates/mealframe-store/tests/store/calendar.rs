//! Issue 13: slot times of day (`library::day_templates`, shown through `plans::views`) and the
//! calendar-feed secrets (`accounts::calendar_feeds`), plus the feed's `views::last_change`.

use dbkit::{ConstraintKind, execute};
use mealframe_core::{meal_time::MealTime, planning::generation::TemplateSlot};
use mealframe_store::{
    accounts::calendar_feeds,
    library::day_templates::{self, TemplateChange},
    plans::{ops, views},
};

use crate::support::*;

fn hm(s: &str) -> Option<MealTime> {
    Some(MealTime::parse(s).unwrap())
}

const HASH_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HASH_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

#[tokio::test]
async fn template_slot_times_round_trip_and_absent_times_stay_absent() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let change = TemplateChange {
        slots: Some(vec![
            TemplateSlot {
                position: 1,
                meal_type: w.lib.breakfast,
                time: hm("07:30"),
            },
            TemplateSlot {
                position: 2,
                meal_type: w.lib.lunch,
                time: None,
            },
        ]),
        ..Default::default()
    };
    let got = day_templates::update(c, alice, w.lib.workday, &change, at(10))
        .await
        .unwrap()
        .unwrap();
    let times: Vec<_> = got.slots.iter().map(|s| s.time).collect();
    assert_eq!(times, vec![hm("07:30"), None]);
    let again = day_templates::get(c, alice, w.lib.workday)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.slots[0].time, hm("07:30"));
    let by_template = day_templates::slots_by_template(c, alice).await.unwrap();
    assert_eq!(by_template[&w.lib.workday][0].time, hm("07:30"));
    assert_eq!(by_template[&w.lib.workday][1].time, None);
}

#[tokio::test]
async fn a_stored_time_outside_the_day_breaks_a_check_on_both_engines() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let r = execute!(
        c.reborrow(),
        "UPDATE day_template_slots SET time_minutes = 1440 WHERE day_template_id = $1",
        lib.workday.uuid()
    )
    .map_err(mealframe_store::StoreError::from);
    assert_eq!(integrity(r), ConstraintKind::Check);
}

#[tokio::test]
async fn generated_slots_show_their_template_time_and_come_in_time_order() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    // Lunch at 06:00 before a breakfast at 07:30: Today shows lunch first.
    let change = TemplateChange {
        slots: Some(vec![
            TemplateSlot {
                position: 1,
                meal_type: w.lib.breakfast,
                time: hm("07:30"),
            },
            TemplateSlot {
                position: 2,
                meal_type: w.lib.lunch,
                time: hm("06:00"),
            },
        ]),
        ..Default::default()
    };
    day_templates::update(c, alice, w.lib.workday, &change, at(10))
        .await
        .unwrap();
    let slots = slots_of(c, alice, MONDAY).await;
    let shown: Vec<_> = slots.iter().map(|s| (s.position, s.time)).collect();
    assert_eq!(shown, vec![(2, hm("06:00")), (1, hm("07:30"))]);
    // An ad-hoc slot has no time and follows the slot before it in position order (here the
    // 06:00 lunch at position 2).
    ops::add_adhoc(c, alice, MONDAY, w.lib.wrap, at(20))
        .await
        .unwrap();
    let slots = slots_of(c, alice, MONDAY).await;
    let shown: Vec<_> = slots.iter().map(|s| (s.position, s.time)).collect();
    assert_eq!(shown, vec![(2, hm("06:00")), (3, None), (1, hm("07:30"))]);
    assert!(slots[1].is_adhoc);
    // The same through a single slot's view.
    let one = views::slot(c, alice, slots[2].id).await.unwrap().unwrap();
    assert_eq!(one.time, hm("07:30"));
}

#[tokio::test]
async fn a_feed_token_is_created_rotated_found_by_hash_and_revoked_per_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    assert!(!calendar_feeds::exists(c, alice).await.unwrap());
    assert!(
        !calendar_feeds::replace(c, alice, HASH_A, t0())
            .await
            .unwrap()
    );
    assert!(calendar_feeds::exists(c, alice).await.unwrap());
    assert!(!calendar_feeds::exists(c, bob).await.unwrap());
    assert_eq!(
        calendar_feeds::user_by_hash(c, HASH_A).await.unwrap(),
        Some(alice)
    );
    // Rotation: the old hash finds no one.
    assert!(
        calendar_feeds::replace(c, alice, HASH_B, at(5))
            .await
            .unwrap()
    );
    assert_eq!(calendar_feeds::user_by_hash(c, HASH_A).await.unwrap(), None);
    assert_eq!(
        calendar_feeds::user_by_hash(c, HASH_B).await.unwrap(),
        Some(alice)
    );
    // Another user cannot take the same hash (the unique rule), nor revoke alice's feed.
    let taken = calendar_feeds::replace(c, bob, HASH_B, t0()).await;
    assert_eq!(integrity(taken), ConstraintKind::Unique);
}

#[tokio::test]
async fn revoking_a_feed_touches_only_the_callers() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    calendar_feeds::replace(c, alice, HASH_A, t0())
        .await
        .unwrap();
    assert!(!calendar_feeds::delete(c, bob).await.unwrap());
    assert_eq!(
        calendar_feeds::user_by_hash(c, HASH_A).await.unwrap(),
        Some(alice)
    );
    assert!(calendar_feeds::delete(c, alice).await.unwrap());
    assert_eq!(calendar_feeds::user_by_hash(c, HASH_A).await.unwrap(), None);
    assert!(!calendar_feeds::delete(c, alice).await.unwrap());
}

#[tokio::test]
async fn last_change_is_the_latest_plan_template_or_meal_change_of_the_user_only() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    assert_eq!(views::last_change(c, alice).await.unwrap(), None);
    let w = generated_week(c, alice).await;
    // Meals were created at t0()+1…5 s, the template and week at t0().
    assert_eq!(views::last_change(c, alice).await.unwrap(), Some(at(5)));
    day_templates::update(
        c,
        alice,
        w.lib.workday,
        &TemplateChange {
            notes: Some("n".into()),
            ..Default::default()
        },
        at(60),
    )
    .await
    .unwrap();
    assert_eq!(views::last_change(c, alice).await.unwrap(), Some(at(60)));
    assert_eq!(views::last_change(c, bob).await.unwrap(), None);
}
