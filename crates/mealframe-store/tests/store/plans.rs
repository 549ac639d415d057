//! `plans::*`: generating and changing weeks (`ops`), the statements underneath (`writes`), the
//! views, the round-robin state, and the bulk reads behind streaks and stats (`facts`).

use dbkit::ConstraintKind;
use mealframe_core::{
    ids::{MealId, SlotId, WeekId},
    planning::{
        completion::CompletionStatus,
        generation::{PlannedDay, PlannedSlot},
        macros::Macros,
        streak::DayTally,
    },
    tenths::Tenths,
};
use mealframe_store::{
    Rejection,
    library::{
        day_templates::{self, TemplateChange},
        meals::{self, MealChange},
    },
    plans::{
        facts,
        ops::{self, Generated},
        rotation, views, writes,
    },
};
use time::Date;

use crate::support::*;

/// `(date, planned meals)` of every day of a week view.
fn planned_by_day(w: &views::WeekView) -> Vec<(Date, Vec<Option<MealId>>)> {
    w.days
        .iter()
        .map(|d| {
            (
                d.date,
                d.slots
                    .iter()
                    .map(|s| s.meal.as_ref().map(|m| m.id))
                    .collect(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// generation

#[tokio::test]
async fn generating_a_week_fills_slots_round_robin() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;

    let week = views::week(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(week.id, w.id);
    assert_eq!(week.week_start_date, MONDAY);
    assert_eq!(
        week.week_plan.as_ref().map(|p| (p.id, p.name.as_str())),
        Some((l.plan, "Usual week"))
    );
    assert_eq!(
        planned_by_day(&week),
        vec![
            (day(0), vec![Some(l.oats), Some(l.salad)]),
            (day(1), vec![Some(l.eggs), Some(l.soup)]),
            (day(2), vec![Some(l.oats), Some(l.wrap)]),
            (day(3), vec![Some(l.eggs), Some(l.salad)]),
            (day(4), vec![Some(l.oats), Some(l.soup)]),
        ],
        "the weekend is unmapped: no day records"
    );
    for d in &week.days {
        assert_eq!(d.template.as_ref().map(|t| t.id), Some(l.workday));
        assert!(!d.is_override);
        let types: Vec<_> = d.slots.iter().map(views::slot_meal_type).collect();
        assert_eq!(types, vec![Some(l.breakfast), Some(l.lunch)]);
        let positions: Vec<i32> = d.slots.iter().map(|s| s.position).collect();
        assert_eq!(positions, vec![1, 2]);
        assert!(d.slots.iter().all(|s| s.status.is_none()
            && !s.is_adhoc
            && !s.is_manual_override
            && s.actual_meal.is_none()));
    }

    // The next week continues the rotation where this one stopped.
    assert_eq!(
        ops::generate(c, alice, day(7), MONDAY, t0()).await.unwrap(),
        Generated::Created(views::week_row(c, alice, day(7)).await.unwrap().unwrap().0)
    );
    assert_eq!(
        planned_meals(c, alice, day(7)).await,
        vec![Some(l.eggs), Some(l.wrap)]
    );
    assert_eq!(
        planned_meals(c, alice, day(8)).await,
        vec![Some(l.oats), Some(l.salad)]
    );
}

#[tokio::test]
async fn generating_a_week_needs_a_monday_and_a_default_plan() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    library(c, alice).await;
    assert_eq!(
        rejection(ops::generate(c, alice, day(1), MONDAY, t0()).await),
        Rejection::NotMonday(day(1))
    );
    assert_eq!(
        rejection(ops::generate(c, bob, MONDAY, MONDAY, t0()).await),
        Rejection::NoDefaultPlan,
        "Alice's default plan is not Bob's"
    );
    assert!(views::week_starts(c, bob).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_slot_without_candidate_meals_is_generated_empty() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let empty_type = meal_type(c, alice, "Nothing yet").await;
    let tmpl = template(c, alice, "Day", &[empty_type]).await;
    week_plan(c, alice, "Plan", &[(0, tmpl)]).await;
    ops::generate(c, alice, MONDAY, MONDAY, t0()).await.unwrap();
    assert_eq!(planned_meals(c, alice, MONDAY).await, vec![None]);
}

#[tokio::test]
async fn ai_captured_meals_never_enter_the_rotation() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let mut captured = new_meal("Captured", &[lib.breakfast]);
    captured.source = meals::Source::AiCapture;
    let captured = meals::insert(c, alice, &captured, at(-100)).await.unwrap();
    ops::generate(c, alice, MONDAY, MONDAY, t0()).await.unwrap();
    let week = views::week(c, alice, MONDAY).await.unwrap().unwrap();
    assert!(
        planned_by_day(&week)
            .iter()
            .all(|(_, meals)| !meals.contains(&Some(captured)))
    );
}

#[tokio::test]
async fn users_generate_their_own_weeks_from_their_own_plans() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = generated_week(c, bob).await;
    assert_ne!(a.id, b.id);
    assert_eq!(
        planned_meals(c, bob, MONDAY).await,
        vec![Some(b.lib.oats), Some(b.lib.salad)]
    );
    assert_eq!(
        planned_meals(c, alice, MONDAY).await,
        vec![Some(a.lib.oats), Some(a.lib.salad)]
    );
}

#[tokio::test]
async fn generating_an_existing_week_rerolls_only_unmarked_template_slots_from_today() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let curry = meal(c, alice, "Curry", &[l.lunch], at(6)).await;
    let wed = slot_ids(c, alice, day(2)).await;
    let thu = slot_ids(c, alice, day(3)).await;
    ops::complete(c, alice, wed[0], CompletionStatus::Followed, None, t0())
        .await
        .unwrap();
    ops::reassign(c, alice, thu[1], l.wrap, None, MONDAY)
        .await
        .unwrap();
    ops::add_adhoc(c, alice, day(4), l.salad, t0())
        .await
        .unwrap();
    rotation::reset(c, alice, l.breakfast).await.unwrap();

    // Today is Wednesday.
    assert_eq!(
        ops::generate(c, alice, MONDAY, day(2), at(1))
            .await
            .unwrap(),
        Generated::Regenerated(w.id)
    );
    let week = views::week(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(
        planned_by_day(&week),
        vec![
            (day(0), vec![Some(l.oats), Some(l.salad)]),
            (day(1), vec![Some(l.eggs), Some(l.soup)]),
            (day(2), vec![Some(l.oats), Some(l.wrap)]),
            (day(3), vec![Some(l.oats), Some(l.wrap)]),
            (day(4), vec![Some(l.eggs), Some(curry), Some(l.salad)]),
        ]
    );
    let rot = rotation::load(c, alice).await.unwrap();
    assert_eq!(rot.peek(l.breakfast), Some(l.oats), "the state was saved");
    assert_eq!(rot.peek(l.lunch), Some(l.salad));
}

#[tokio::test]
async fn regenerating_another_users_week_changes_none_of_its_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    library(c, bob).await;
    let before = views::week(c, alice, MONDAY).await.unwrap();
    ops::regenerate(c, bob, a.id, MONDAY, at(1)).await.unwrap();
    assert_eq!(views::week(c, alice, MONDAY).await.unwrap(), before);

    // Alice's own regeneration re-rolls from the rotation state.
    ops::regenerate(c, alice, a.id, MONDAY, at(1))
        .await
        .unwrap();
    assert_eq!(
        planned_meals(c, alice, MONDAY).await,
        vec![Some(a.lib.eggs), Some(a.lib.wrap)]
    );
}

// ---------------------------------------------------------------------------------------------
// day operations

#[tokio::test]
async fn switching_a_days_template_rebuilds_its_slots_and_clears_its_override() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let light = template(c, alice, "Light", &[l.lunch]).await;
    let wed = slot_ids(c, alice, day(2)).await;
    ops::complete(c, alice, wed[0], CompletionStatus::Followed, None, t0())
        .await
        .unwrap();

    ops::switch_day_template(c, alice, day(2), light, at(1))
        .await
        .unwrap();
    let (_, wed) = views::day(c, alice, day(2)).await.unwrap().unwrap();
    let wed = wed.unwrap();
    assert_eq!(
        wed.template.as_ref().map(|t| t.name.as_str()),
        Some("Light")
    );
    assert_eq!(
        wed.slots
            .iter()
            .map(|s| s.meal.as_ref().map(|m| m.id))
            .collect::<Vec<_>>(),
        vec![Some(l.wrap)],
        "marks and all are replaced, the rotation goes on"
    );
    assert!(wed.slots[0].status.is_none());

    ops::set_override(c, alice, day(3), Some("Travel"), at(2))
        .await
        .unwrap();
    ops::switch_day_template(c, alice, day(3), light, at(3))
        .await
        .unwrap();
    let (_, thu) = views::day(c, alice, day(3)).await.unwrap().unwrap();
    let thu = thu.unwrap();
    assert!(!thu.is_override);
    assert_eq!(thu.override_reason, None);
    assert_eq!(planned_meals(c, alice, day(3)).await, vec![Some(l.salad)]);

    // An unmapped weekday gets a day record.
    ops::switch_day_template(c, alice, day(5), light, at(4))
        .await
        .unwrap();
    let (_, sat) = views::day(c, alice, day(5)).await.unwrap().unwrap();
    assert_eq!(sat.unwrap().template.map(|t| t.id), Some(light));
    assert_eq!(planned_meals(c, alice, day(5)).await, vec![Some(l.soup)]);
}

#[tokio::test]
async fn switching_to_another_users_template_or_outside_a_generated_week_is_refused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = library(c, bob).await;
    let before = views::week(c, alice, MONDAY).await.unwrap();

    assert_eq!(
        rejection(ops::switch_day_template(c, alice, day(1), b.workday, at(1)).await),
        Rejection::TemplateNotFound(b.workday)
    );
    assert_eq!(
        rejection(ops::switch_day_template(c, alice, day(9), a.lib.workday, at(1)).await),
        Rejection::NoWeek(day(7))
    );
    assert_eq!(
        rejection(ops::switch_day_template(c, bob, day(1), b.workday, at(1)).await),
        Rejection::NoWeek(MONDAY),
        "Alice's week is not Bob's"
    );
    assert_eq!(views::week(c, alice, MONDAY).await.unwrap(), before);
}

#[tokio::test]
async fn a_no_plan_day_loses_its_slots_and_gets_them_back_from_its_template() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;

    ops::set_override(c, alice, day(1), Some("Dinner out"), at(1))
        .await
        .unwrap();
    let (_, tue) = views::day(c, alice, day(1)).await.unwrap().unwrap();
    let tue = tue.unwrap();
    assert!(tue.is_override);
    assert_eq!(tue.override_reason.as_deref(), Some("Dinner out"));
    assert_eq!(
        tue.template.map(|t| t.id),
        Some(l.workday),
        "kept for later"
    );
    assert!(tue.slots.is_empty());

    ops::set_override(c, alice, day(1), Some("Party"), at(2))
        .await
        .unwrap();
    let (_, tue) = views::day(c, alice, day(1)).await.unwrap().unwrap();
    assert_eq!(tue.unwrap().override_reason.as_deref(), Some("Party"));

    ops::clear_override(c, alice, day(1), at(3)).await.unwrap();
    let (_, tue) = views::day(c, alice, day(1)).await.unwrap().unwrap();
    let tue = tue.unwrap();
    assert!(!tue.is_override);
    assert_eq!(tue.override_reason, None);
    assert_eq!(
        planned_meals(c, alice, day(1)).await,
        vec![Some(l.eggs), Some(l.wrap)],
        "fresh meals from the rotation"
    );

    // A weekday the plan left unmapped gets an override record of its own.
    ops::set_override(c, alice, day(6), None, at(4))
        .await
        .unwrap();
    let (_, sun) = views::day(c, alice, day(6)).await.unwrap().unwrap();
    let sun = sun.unwrap();
    assert!(sun.is_override);
    assert_eq!((sun.template, sun.override_reason), (None, None));
}

#[tokio::test]
async fn restoring_a_no_plan_day_keeps_the_meals_added_to_it_after_the_templates_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;

    ops::set_override(c, alice, day(3), Some("Out"), at(3))
        .await
        .unwrap();
    let soup = ops::add_adhoc(c, alice, day(3), l.soup, at(3))
        .await
        .unwrap();
    ops::complete(c, alice, soup, CompletionStatus::Followed, None, at(4))
        .await
        .unwrap();
    let wrap = ops::add_adhoc(c, alice, day(3), l.wrap, at(4))
        .await
        .unwrap();
    ops::clear_override(c, alice, day(3), at(5)).await.unwrap();

    let slots = slots_of(c, alice, day(3)).await;
    let got: Vec<(i32, bool, Option<CompletionStatus>)> = slots
        .iter()
        .map(|s| (s.position, s.is_adhoc, s.status))
        .collect();
    assert_eq!(
        got,
        [
            (1, false, None),
            (2, false, None),
            (3, true, Some(CompletionStatus::Followed)),
            (4, true, None)
        ],
        "the template's two slots, then the added meals in their order, marks kept"
    );
    assert_eq!((slots[2].id, slots[3].id), (soup, wrap));
    let (_, thu) = views::day(c, alice, day(3)).await.unwrap().unwrap();
    assert!(!thu.unwrap().is_override);

    // The statements underneath: a shift keeps order, the last position below a bound.
    let before = slots_of(c, alice, day(3)).await;
    assert_eq!(
        writes::shift_slots(c, w.id, day(3), 3, 10).await.unwrap(),
        2
    );
    assert_eq!(
        writes::last_position_below(c, w.id, day(3), 10)
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        writes::last_position_below(c, w.id, day(3), 1)
            .await
            .unwrap(),
        None
    );
    let after: Vec<i32> = slots_of(c, alice, day(3))
        .await
        .iter()
        .map(|s| s.position)
        .collect();
    assert_eq!(after, [1, 2, 13, 14]);
    assert_eq!(before.len(), 4);
}

#[tokio::test]
async fn clearing_an_override_needs_a_day_record_no_slots_and_a_template() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    generated_week(c, alice).await;

    assert_eq!(
        rejection(ops::clear_override(c, alice, day(5), at(1)).await),
        Rejection::NoDay(day(5))
    );
    ops::set_override(c, alice, day(5), None, at(1))
        .await
        .unwrap();
    assert_eq!(
        rejection(ops::clear_override(c, alice, day(5), at(2)).await),
        Rejection::NoTemplateForDay(day(5))
    );
    assert_eq!(
        rejection(ops::clear_override(c, alice, day(2), at(2)).await),
        Rejection::DayHasSlots(day(2)),
        "a day that still has its slots"
    );
    assert_eq!(
        rejection(ops::clear_override(c, alice, day(8), at(4)).await),
        Rejection::NoWeek(day(7))
    );
    assert_eq!(
        rejection(ops::set_override(c, alice, day(8), None, at(4)).await),
        Rejection::NoWeek(day(7))
    );
}

#[tokio::test]
async fn day_operations_on_another_users_week_are_refused_as_no_week() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    generated_week(c, alice).await;
    let b = library(c, bob).await;
    ops::set_override(c, alice, day(2), None, at(1))
        .await
        .unwrap();
    let before = views::week(c, alice, MONDAY).await.unwrap();

    assert_eq!(
        rejection(ops::set_override(c, bob, day(1), Some("x"), at(2)).await),
        Rejection::NoWeek(MONDAY)
    );
    assert_eq!(
        rejection(ops::clear_override(c, bob, day(2), at(2)).await),
        Rejection::NoWeek(MONDAY)
    );
    assert_eq!(
        rejection(ops::add_adhoc(c, bob, day(1), b.oats, at(2)).await),
        Rejection::NoWeek(MONDAY)
    );
    assert_eq!(views::week(c, alice, MONDAY).await.unwrap(), before);
}

// ---------------------------------------------------------------------------------------------
// slot operations

#[tokio::test]
async fn marking_a_slot_records_its_status_time_and_actual_meal() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let fri = slot_ids(c, alice, day(4)).await;

    ops::complete(c, alice, fri[0], CompletionStatus::Followed, None, at(10))
        .await
        .unwrap();
    let s = views::slot(c, alice, fri[0]).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.completed_at, s.actual_meal),
        (Some(CompletionStatus::Followed), Some(at(10)), None)
    );

    ops::complete(
        c,
        alice,
        fri[1],
        CompletionStatus::Deviated,
        Some(l.wrap),
        at(11),
    )
    .await
    .unwrap();
    let s = views::slot(c, alice, fri[1]).await.unwrap().unwrap();
    assert_eq!(s.status, Some(CompletionStatus::Deviated));
    assert_eq!(
        s.actual_meal.map(|m| (m.id, m.name)),
        Some((l.wrap, "Wrap".into()))
    );

    ops::complete(c, alice, fri[1], CompletionStatus::Skipped, None, at(12))
        .await
        .unwrap();
    let s = views::slot(c, alice, fri[1]).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.completed_at, s.actual_meal),
        (Some(CompletionStatus::Skipped), Some(at(12)), None),
        "a mark without an actual meal clears the previous one"
    );

    for status in CompletionStatus::ALL {
        ops::complete(c, alice, fri[0], status, None, at(13))
            .await
            .unwrap();
        let s = views::slot(c, alice, fri[0]).await.unwrap().unwrap();
        assert_eq!(s.status, Some(status));
    }

    ops::uncomplete(c, alice, fri[1]).await.unwrap();
    let s = views::slot(c, alice, fri[1]).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.completed_at, s.actual_meal),
        (None, None, None)
    );
    assert_eq!(s.meal.map(|m| m.id), Some(l.soup), "the plan is untouched");
}

#[tokio::test]
async fn marking_another_users_slot_or_with_their_meal_is_refused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = generated_week(c, bob).await;
    let slot = slot_ids(c, alice, MONDAY).await[0];
    let bobs_slot = slot_ids(c, bob, MONDAY).await[0];
    ops::complete(c, alice, slot, CompletionStatus::Followed, None, at(1))
        .await
        .unwrap();
    let before = views::slot(c, alice, slot).await.unwrap();

    use CompletionStatus::{Deviated, Skipped};
    assert_eq!(
        rejection(ops::complete(c, bob, slot, Skipped, None, at(2)).await),
        Rejection::SlotNotFound(slot)
    );
    assert_eq!(
        rejection(ops::complete(c, bob, slot, Deviated, Some(b.lib.eggs), at(2)).await),
        Rejection::SlotNotFound(slot)
    );
    assert_eq!(
        rejection(ops::uncomplete(c, bob, slot).await),
        Rejection::SlotNotFound(slot)
    );
    assert_eq!(
        rejection(ops::complete(c, alice, slot, Deviated, Some(b.lib.eggs), at(2)).await),
        Rejection::MealNotFound(b.lib.eggs)
    );
    assert_eq!(
        rejection(ops::complete(c, alice, bobs_slot, Deviated, Some(a.lib.eggs), at(2)).await),
        Rejection::SlotNotFound(bobs_slot)
    );
    let nowhere: SlotId = unknown();
    assert_eq!(
        rejection(ops::complete(c, alice, nowhere, Skipped, None, at(2)).await),
        Rejection::SlotNotFound(nowhere)
    );
    assert_eq!(views::slot(c, alice, slot).await.unwrap(), before);
    assert!(
        views::slot(c, bob, bobs_slot)
            .await
            .unwrap()
            .unwrap()
            .status
            .is_none()
    );
}

#[tokio::test]
async fn reassigning_puts_a_meal_on_a_slot_by_hand_and_unmarks_it() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let mon = slot_ids(c, alice, MONDAY).await;
    ops::complete(
        c,
        alice,
        mon[1],
        CompletionStatus::Equivalent,
        Some(l.soup),
        at(1),
    )
    .await
    .unwrap();

    ops::reassign(c, alice, mon[1], l.wrap, None, MONDAY)
        .await
        .unwrap();
    let s = views::slot(c, alice, mon[1]).await.unwrap().unwrap();
    assert_eq!(s.meal.map(|m| m.id), Some(l.wrap));
    assert!(s.is_manual_override);
    assert_eq!((s.status, s.completed_at), (None, None));
    assert_eq!(
        s.actual_meal.map(|m| m.id),
        Some(l.soup),
        "the linked actual meal is kept"
    );

    // With a meal type, the slot takes that type.
    let tue = slot_ids(c, alice, day(1)).await;
    ops::reassign(c, alice, tue[1], l.eggs, Some(l.breakfast), MONDAY)
        .await
        .unwrap();
    let s = views::slot(c, alice, tue[1]).await.unwrap().unwrap();
    assert_eq!(s.meal.map(|m| m.id), Some(l.eggs));
    assert_eq!(
        views::slot_meal_type(&views::slot(c, alice, tue[1]).await.unwrap().unwrap()),
        Some(l.breakfast)
    );
}

#[tokio::test]
async fn reassigning_checks_the_slot_the_date_the_meal_and_its_type_in_that_order() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = library(c, bob).await;
    let l = &a.lib;
    let mon = slot_ids(c, alice, MONDAY).await;
    let tue = slot_ids(c, alice, day(1)).await;
    let before = views::week(c, alice, MONDAY).await.unwrap();

    assert_eq!(
        rejection(ops::reassign(c, bob, mon[1], b.wrap, None, MONDAY).await),
        Rejection::SlotNotFound(mon[1])
    );
    assert_eq!(
        rejection(ops::reassign(c, alice, mon[1], b.wrap, None, day(1)).await),
        Rejection::PastDate
    );
    assert_eq!(
        rejection(ops::reassign(c, alice, tue[1], b.wrap, None, day(1)).await),
        Rejection::MealNotFound(b.wrap),
        "today is not the past"
    );
    assert_eq!(
        rejection(ops::reassign(c, alice, tue[1], l.wrap, Some(b.lunch), MONDAY).await),
        Rejection::MealTypeNotFound(b.lunch)
    );
    assert_eq!(
        rejection(ops::reassign(c, alice, tue[1], l.eggs, None, MONDAY).await),
        Rejection::MealTypeMismatch,
        "eggs is no lunch"
    );
    assert_eq!(
        rejection(ops::reassign(c, alice, tue[1], l.wrap, Some(l.breakfast), MONDAY).await),
        Rejection::MealTypeMismatch,
        "nor is the wrap a breakfast"
    );
    assert_eq!(views::week(c, alice, MONDAY).await.unwrap(), before);
}

#[tokio::test]
async fn an_adhoc_meal_goes_after_the_days_last_slot_with_its_first_type() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let brunch = meal(c, alice, "Brunch", &[l.lunch, l.breakfast], at(9)).await;
    let untyped = meal(c, alice, "Untyped", &[], at(9)).await;

    let id = ops::add_adhoc(c, alice, MONDAY, brunch, at(1))
        .await
        .unwrap();
    let s = views::slot(c, alice, id).await.unwrap().unwrap();
    assert_eq!((s.date, s.position, s.is_adhoc), (MONDAY, 3, true));
    assert_eq!(s.meal.map(|m| m.id), Some(brunch));
    assert_eq!(
        s.meal_type.map(|t| t.id),
        Some(l.breakfast),
        "its first type by name"
    );
    let id = ops::add_adhoc(c, alice, MONDAY, untyped, at(2))
        .await
        .unwrap();
    let s = views::slot(c, alice, id).await.unwrap().unwrap();
    assert_eq!((s.position, s.meal_type), (4, None));

    // A day without a record gets one; its first slot is at 0.
    let id = ops::add_adhoc(c, alice, day(6), l.soup, at(3))
        .await
        .unwrap();
    let (_, sun) = views::day(c, alice, day(6)).await.unwrap().unwrap();
    let sun = sun.unwrap();
    assert_eq!((sun.template, sun.is_override), (None, false));
    assert_eq!(
        sun.slots
            .iter()
            .map(|s| (s.id, s.position))
            .collect::<Vec<_>>(),
        vec![(id, 0)]
    );
}

#[tokio::test]
async fn only_adhoc_slots_can_be_removed() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let mon = slot_ids(c, alice, MONDAY).await;
    assert_eq!(
        rejection(ops::delete_adhoc(c, alice, mon[0]).await),
        Rejection::NotAdhoc
    );
    let extra = ops::add_adhoc(c, alice, MONDAY, w.lib.wrap, at(1))
        .await
        .unwrap();
    ops::delete_adhoc(c, alice, extra).await.unwrap();
    assert_eq!(slot_ids(c, alice, MONDAY).await, mon);
    assert_eq!(
        rejection(ops::delete_adhoc(c, alice, extra).await),
        Rejection::SlotNotFound(extra)
    );
}

#[tokio::test]
async fn adding_another_users_meal_or_removing_their_slot_is_refused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = generated_week(c, bob).await;
    let extra = ops::add_adhoc(c, alice, MONDAY, a.lib.wrap, at(1))
        .await
        .unwrap();

    assert_eq!(
        rejection(ops::add_adhoc(c, alice, MONDAY, b.lib.wrap, at(2)).await),
        Rejection::MealNotFound(b.lib.wrap)
    );
    assert_eq!(
        rejection(ops::delete_adhoc(c, bob, extra).await),
        Rejection::SlotNotFound(extra)
    );
    assert!(views::slot(c, alice, extra).await.unwrap().is_some());
    assert_eq!(slot_ids(c, bob, MONDAY).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// the statements underneath

fn planned(
    position: i32,
    meal_type: mealframe_core::ids::MealTypeId,
    meal: Option<MealId>,
) -> PlannedSlot {
    PlannedSlot {
        position,
        meal_type,
        meal,
    }
}

#[tokio::test]
async fn a_week_is_written_with_its_days_and_slots_once_per_user_and_monday() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let l = library(c, alice).await;
    let b = library(c, bob).await;
    let days = vec![
        PlannedDay {
            date: MONDAY,
            template: l.workday,
            slots: vec![
                planned(1, l.breakfast, Some(l.eggs)),
                planned(2, l.lunch, None),
            ],
        },
        PlannedDay {
            date: day(3),
            template: l.workday,
            slots: vec![],
        },
    ];
    let id = writes::insert_week(c, alice, MONDAY, l.plan, &days, t0())
        .await
        .unwrap();
    let week = views::week(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(week.id, id);
    assert_eq!(
        planned_by_day(&week),
        vec![(MONDAY, vec![Some(l.eggs), None]), (day(3), vec![])]
    );
    writes::insert_week(c, bob, MONDAY, b.plan, &[], t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let again = writes::insert_week(&mut tx.conn(), alice, MONDAY, l.plan, &[], at(1)).await;
    assert_eq!(
        integrity(again),
        ConstraintKind::Unique,
        "the caller retries as a regeneration"
    );
}

#[tokio::test]
async fn many_slots_are_written_in_batches() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let rows: Vec<(Date, PlannedSlot)> = (0..450)
        .map(|i| (day(5), planned(i, w.lib.lunch, Some(w.lib.soup))))
        .collect();
    writes::insert_slots(c, w.id, &rows).await.unwrap();
    assert_eq!(writes::slot_count(c, w.id, day(5)).await.unwrap(), 450);
    assert_eq!(writes::delete_slots(c, w.id, day(5)).await.unwrap(), 450);
    assert_eq!(writes::slot_count(c, w.id, day(5)).await.unwrap(), 0);
}

#[tokio::test]
async fn slot_positions_are_unique_per_day_and_not_negative() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let w = generated_week(&mut tx.conn(), alice).await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let taken = writes::insert_slots(
        &mut tx.conn(),
        w.id,
        &[(MONDAY, planned(1, w.lib.lunch, None))],
    )
    .await;
    assert_eq!(integrity(taken), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let negative = writes::insert_slots(
        &mut tx.conn(),
        w.id,
        &[(day(5), planned(-1, w.lib.lunch, None))],
    )
    .await;
    assert_eq!(integrity(negative), ConstraintKind::Check);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let twice = writes::insert_day(&mut tx.conn(), w.id, MONDAY, None, false, None, t0()).await;
    assert_eq!(
        integrity(twice),
        ConstraintKind::Unique,
        "one record per date"
    );
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let long = "x".repeat(256);
    let reason =
        writes::insert_day(&mut tx.conn(), w.id, day(5), None, true, Some(&long), t0()).await;
    assert_eq!(
        integrity(reason),
        ConstraintKind::Check,
        "a reason has at most 255 characters"
    );
}

#[tokio::test]
async fn day_records_are_written_read_and_changed_by_week_and_date() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;

    let (mon, tmpl, is_override) = writes::day_record(c, w.id, MONDAY).await.unwrap().unwrap();
    assert_eq!((tmpl, is_override), (Some(l.workday), false));
    assert!(writes::day_record(c, w.id, day(5)).await.unwrap().is_none());
    let other_week: WeekId = unknown();
    assert!(
        writes::day_record(c, other_week, MONDAY)
            .await
            .unwrap()
            .is_none()
    );

    let sat = writes::insert_day(c, w.id, day(5), None, true, Some("Away"), t0())
        .await
        .unwrap();
    assert_eq!(
        writes::day_record(c, w.id, day(5)).await.unwrap(),
        Some((sat, None, true))
    );
    let (_, view) = views::day(c, alice, day(5)).await.unwrap().unwrap();
    assert_eq!(view.unwrap().override_reason.as_deref(), Some("Away"));

    writes::set_day_override(c, mon, true, Some("Sick"), at(1))
        .await
        .unwrap();
    assert_eq!(
        writes::day_record(c, w.id, MONDAY).await.unwrap(),
        Some((mon, Some(l.workday), true))
    );
    let light = template(c, alice, "Light", &[l.lunch]).await;
    writes::set_day_template(c, mon, light, at(2))
        .await
        .unwrap();
    assert_eq!(
        writes::day_record(c, w.id, MONDAY).await.unwrap(),
        Some((mon, Some(light), false)),
        "a new template clears the override"
    );
    let (_, view) = views::day(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(view.unwrap().override_reason, None);

    assert_eq!(writes::slot_count(c, w.id, MONDAY).await.unwrap(), 2);
    assert_eq!(writes::delete_slots(c, w.id, MONDAY).await.unwrap(), 2);
    assert_eq!(writes::delete_slots(c, w.id, MONDAY).await.unwrap(), 0);
    assert_eq!(writes::slot_count(c, other_week, day(1)).await.unwrap(), 0);
}

#[tokio::test]
async fn regeneration_sees_each_days_template_override_and_slot_flags() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let mon = slot_ids(c, alice, MONDAY).await;
    ops::complete(c, alice, mon[0], CompletionStatus::Social, None, at(1))
        .await
        .unwrap();
    ops::reassign(c, alice, mon[1], l.wrap, None, MONDAY)
        .await
        .unwrap();
    let extra = ops::add_adhoc(c, alice, MONDAY, l.oats, at(1))
        .await
        .unwrap();
    ops::set_override(c, alice, day(1), None, at(1))
        .await
        .unwrap();

    let days = writes::existing_days(c, w.id).await.unwrap();
    assert_eq!(
        days.iter()
            .map(|d| (d.date, d.template, d.is_override, d.slots.len()))
            .collect::<Vec<_>>(),
        vec![
            (day(0), Some(l.workday), false, 3),
            (day(1), Some(l.workday), true, 0),
            (day(2), Some(l.workday), false, 2),
            (day(3), Some(l.workday), false, 2),
            (day(4), Some(l.workday), false, 2),
        ]
    );
    let flags: Vec<_> = days[0]
        .slots
        .iter()
        .map(|s| (s.id, s.position, s.status, s.is_manual_override, s.is_adhoc))
        .collect();
    assert_eq!(
        flags,
        vec![
            (mon[0], 1, Some(CompletionStatus::Social), false, false),
            (mon[1], 2, None, true, false),
            (extra, 3, None, false, true),
        ]
    );
    assert!(
        writes::existing_days(c, unknown())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn setting_many_slots_meals_changes_exactly_those_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let mon = slot_ids(c, alice, MONDAY).await;
    let tue = slot_ids(c, alice, day(1)).await;
    let wed_before = planned_meals(c, alice, day(2)).await;

    writes::set_slot_meals(
        c,
        &[
            (mon[0], Some(l.eggs)),
            (mon[1], None),
            (tue[1], Some(l.wrap)),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        planned_meals(c, alice, MONDAY).await,
        vec![Some(l.eggs), None]
    );
    assert_eq!(planned_meals(c, alice, day(1)).await[1], Some(l.wrap));
    assert_eq!(planned_meals(c, alice, day(2)).await, wed_before);
    // Nothing to change is no statement at all; more than one statement's worth is split.
    writes::set_slot_meals(c, &[]).await.unwrap();
    let many: Vec<_> = std::iter::repeat_n((tue[0], Some(l.oats)), 450).collect();
    writes::set_slot_meals(c, &many).await.unwrap();
    assert_eq!(planned_meals(c, alice, day(1)).await[0], Some(l.oats));
}

#[tokio::test]
async fn slot_statements_change_the_slot_they_are_given() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let mon = slot_ids(c, alice, MONDAY).await;

    writes::set_slot_meal(c, mon[0], Some(l.eggs))
        .await
        .unwrap();
    assert_eq!(
        planned_meals(c, alice, MONDAY).await,
        vec![Some(l.eggs), Some(l.salad)]
    );
    writes::set_slot_meal(c, mon[0], None).await.unwrap();
    assert_eq!(
        planned_meals(c, alice, MONDAY).await,
        vec![None, Some(l.salad)]
    );

    writes::set_completion(
        c,
        mon[1],
        Some(CompletionStatus::Equivalent),
        Some(at(5)),
        Some(l.soup),
    )
    .await
    .unwrap();
    let s = views::slot(c, alice, mon[1]).await.unwrap().unwrap();
    assert_eq!(
        (s.status, s.completed_at, s.actual_meal.map(|m| m.id)),
        (
            Some(CompletionStatus::Equivalent),
            Some(at(5)),
            Some(l.soup)
        )
    );

    writes::reassign(c, mon[1], l.wrap, None).await.unwrap();
    let s = views::slot(c, alice, mon[1]).await.unwrap().unwrap();
    assert_eq!(s.meal.map(|m| m.id), Some(l.wrap));
    assert_eq!(
        s.meal_type.map(|t| t.id),
        Some(l.lunch),
        "the type is kept without a new one"
    );
    assert!(s.is_manual_override);
    assert_eq!((s.status, s.completed_at), (None, None));
    assert_eq!(s.actual_meal.map(|m| m.id), Some(l.soup));
    writes::reassign(c, mon[1], l.eggs, Some(l.breakfast))
        .await
        .unwrap();
    let s = views::slot(c, alice, mon[1]).await.unwrap().unwrap();
    assert_eq!(s.meal_type.map(|t| t.id), Some(l.breakfast));

    let adhoc = writes::insert_adhoc(c, w.id, MONDAY, l.oats, Some(l.breakfast))
        .await
        .unwrap();
    let s = views::slot(c, alice, adhoc).await.unwrap().unwrap();
    assert_eq!(
        (s.position, s.is_adhoc, s.is_manual_override),
        (3, true, false)
    );
    let first = writes::insert_adhoc(c, w.id, day(6), l.oats, None)
        .await
        .unwrap();
    assert_eq!(
        views::slot(c, alice, first)
            .await
            .unwrap()
            .unwrap()
            .position,
        0
    );

    writes::delete_slot(c, adhoc).await.unwrap();
    assert!(views::slot(c, alice, adhoc).await.unwrap().is_none());
    writes::delete_slot(c, unknown()).await.unwrap();
}

#[tokio::test]
async fn slot_references_and_marks_by_owner_see_only_the_users_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let w = generated_week(c, alice).await;
    let tue = slot_ids(c, alice, day(1)).await;
    let extra = ops::add_adhoc(c, alice, day(1), w.lib.soup, at(1))
        .await
        .unwrap();

    let r = writes::slot_ref(c, alice, tue[1]).await.unwrap().unwrap();
    assert_eq!(
        (r.id, r.week, r.date, r.meal_type, r.is_adhoc, r.has_status),
        (tue[1], w.id, day(1), Some(w.lib.lunch), false, false)
    );
    assert!(
        writes::slot_ref(c, alice, extra)
            .await
            .unwrap()
            .unwrap()
            .is_adhoc
    );
    assert!(writes::slot_ref(c, bob, tue[1]).await.unwrap().is_none());
    assert!(
        writes::slot_ref(c, alice, unknown())
            .await
            .unwrap()
            .is_none()
    );

    assert!(
        !writes::mark_owned_slot(c, bob, tue[1], CompletionStatus::Skipped, at(2))
            .await
            .unwrap()
    );
    assert!(
        views::slot(c, alice, tue[1])
            .await
            .unwrap()
            .unwrap()
            .status
            .is_none()
    );
    assert!(
        writes::mark_owned_slot(c, alice, tue[1], CompletionStatus::Skipped, at(2))
            .await
            .unwrap()
    );
    assert!(
        writes::slot_ref(c, alice, tue[1])
            .await
            .unwrap()
            .unwrap()
            .has_status
    );
}

// ---------------------------------------------------------------------------------------------
// views

#[tokio::test]
async fn a_day_view_shows_the_template_its_limits_and_each_slots_meals_with_macros() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    let tenths = |v| Some(Tenths::from_db(v));
    meals::update(
        c,
        alice,
        l.oats,
        &MealChange {
            calories_kcal: Some(350),
            nutrients: [
                tenths(120),
                tenths(600),
                tenths(10),
                tenths(70),
                tenths(12),
                tenths(90),
            ],
            ..Default::default()
        },
        at(1),
    )
    .await
    .unwrap();
    day_templates::update(
        c,
        alice,
        l.workday,
        &TemplateChange {
            max_calories_kcal: Some(Some(2000)),
            max_protein: Some(tenths(1500)),
            ..Default::default()
        },
        at(1),
    )
    .await
    .unwrap();
    let mon = slot_ids(c, alice, MONDAY).await;
    ops::complete(
        c,
        alice,
        mon[1],
        CompletionStatus::Deviated,
        Some(l.oats),
        at(2),
    )
    .await
    .unwrap();

    let (week, mon_view) = views::day(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(week, w.id);
    let d = mon_view.unwrap();
    assert_eq!(d.date, MONDAY);
    assert_eq!(
        d.template.as_ref().map(|t| (t.id, t.name.as_str())),
        Some((l.workday, "Workday"))
    );
    assert_eq!(
        (d.max_calories_kcal, d.max_protein),
        (Some(2000), tenths(1500))
    );
    let oats = views::MealCompact {
        id: l.oats,
        name: "Oats".into(),
        portion_description: "1 portion of Oats".into(),
        macros: Macros {
            calories_kcal: Some(350),
            protein: tenths(120),
            carbs: tenths(600),
            sugar: tenths(10),
            fat: tenths(70),
            saturated_fat: tenths(12),
            fiber: tenths(90),
        },
    };
    assert_eq!(d.slots[0].meal.as_ref(), Some(&oats));
    assert_eq!(
        d.slots[0]
            .meal_type
            .as_ref()
            .map(|t| (t.id, t.name.as_str())),
        Some((l.breakfast, "Breakfast"))
    );
    assert_eq!(d.slots[1].actual_meal.as_ref(), Some(&oats));
    assert_eq!(d.slots[1].status, Some(CompletionStatus::Deviated));
    assert_eq!(d.slots[1].completed_at, Some(at(2)));
    assert_eq!(
        views::meal_compact(c, alice, l.oats).await.unwrap(),
        Some(oats)
    );
    assert_eq!(
        views::slot(c, alice, mon[1]).await.unwrap().as_ref(),
        Some(&d.slots[1]),
        "a slot reads as in its day"
    );
    let week = views::week(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(week.days[0], d, "a day reads as in its week");
}

#[tokio::test]
async fn a_day_view_tells_a_missing_week_from_a_missing_day() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    assert_eq!(
        views::day(c, alice, day(5)).await.unwrap(),
        Some((w.id, None))
    );
    assert_eq!(views::day(c, alice, day(7)).await.unwrap(), None);
    assert_eq!(views::day(c, alice, day(-1)).await.unwrap(), None);
    assert!(views::week(c, alice, day(7)).await.unwrap().is_none());
    assert!(views::week_row(c, alice, day(7)).await.unwrap().is_none());
}

#[tokio::test]
async fn week_starts_are_the_users_generated_mondays_oldest_first() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    generated_week(c, alice).await;
    ops::generate(c, alice, day(14), MONDAY, t0())
        .await
        .unwrap();
    ops::generate(c, alice, day(-7), MONDAY, t0())
        .await
        .unwrap();
    library(c, bob).await;
    ops::generate(c, bob, day(7), MONDAY, t0()).await.unwrap();
    assert_eq!(
        views::week_starts(c, alice).await.unwrap(),
        vec![day(-7), day(0), day(14)]
    );
    assert_eq!(views::week_starts(c, bob).await.unwrap(), vec![day(7)]);
}

#[tokio::test]
async fn a_generated_week_of_another_user_is_invisible() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let w = generated_week(c, alice).await;
    let slot = slot_ids(c, alice, MONDAY).await[0];
    assert!(views::week_row(c, bob, MONDAY).await.unwrap().is_none());
    assert!(views::week(c, bob, MONDAY).await.unwrap().is_none());
    assert!(views::day(c, bob, MONDAY).await.unwrap().is_none());
    assert!(views::slot(c, bob, slot).await.unwrap().is_none());
    assert!(
        views::meal_compact(c, bob, w.lib.oats)
            .await
            .unwrap()
            .is_none()
    );
    assert!(views::week_starts(c, bob).await.unwrap().is_empty());
    assert!(views::slot(c, alice, slot).await.unwrap().is_some());
    assert!(
        views::meal_compact(c, alice, unknown())
            .await
            .unwrap()
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// round-robin state

#[tokio::test]
async fn the_rotation_is_saved_per_user_and_meal_type_and_can_be_reset() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let l = library(c, alice).await;
    let b = library(c, bob).await;

    let mut rot = rotation::load(c, alice).await.unwrap();
    assert_eq!(rot.peek(l.breakfast), Some(l.oats));
    assert_eq!(rot.pick(l.lunch), Some(l.salad));
    assert_eq!(rot.pick(l.lunch), Some(l.soup));
    rotation::save(c, alice, &rot, t0()).await.unwrap();
    let rot = rotation::load(c, alice).await.unwrap();
    assert_eq!(rot.peek(l.lunch), Some(l.wrap));
    assert_eq!(rot.peek(l.breakfast), Some(l.oats));
    assert_eq!(
        rot.peek(b.lunch),
        None,
        "Bob's meals are not Alice's candidates"
    );

    // Saving again overwrites.
    let mut rot = rotation::load(c, alice).await.unwrap();
    rot.pick(l.lunch);
    rotation::save(c, alice, &rot, at(1)).await.unwrap();
    assert_eq!(
        rotation::load(c, alice).await.unwrap().peek(l.lunch),
        Some(l.salad)
    );

    let mut rot = rotation::load(c, alice).await.unwrap();
    assert_eq!(rot.pick(l.lunch), Some(l.salad));
    rotation::save(c, alice, &rot, at(2)).await.unwrap();
    assert_eq!(
        rotation::load(c, alice).await.unwrap().peek(l.lunch),
        Some(l.soup)
    );

    // Bob's state is his own: resetting with Alice's type changes nothing.
    let mut brot = rotation::load(c, bob).await.unwrap();
    brot.pick(b.lunch);
    rotation::save(c, bob, &brot, t0()).await.unwrap();
    rotation::reset(c, bob, l.lunch).await.unwrap();
    assert_eq!(
        rotation::load(c, alice).await.unwrap().peek(l.lunch),
        Some(l.soup)
    );
    rotation::reset(c, alice, l.lunch).await.unwrap();
    assert_eq!(
        rotation::load(c, alice).await.unwrap().peek(l.lunch),
        Some(l.salad),
        "a reset starts again at the first meal"
    );
    rotation::reset(c, alice, l.lunch).await.unwrap();
    assert_eq!(
        rotation::load(c, bob).await.unwrap().peek(b.lunch),
        Some(b.soup),
        "Alice's reset leaves Bob's rotation"
    );
}

#[tokio::test]
async fn a_deleted_last_meal_restarts_the_rotation() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await; // lunch state: soup
    meals::delete(c, alice, w.lib.soup).await.unwrap();
    let rot = rotation::load(c, alice).await.unwrap();
    assert_eq!(rot.peek(w.lib.lunch), Some(w.lib.salad));
}

// ---------------------------------------------------------------------------------------------
// facts for streaks and stats

/// Alice's generated week with Monday marked (breakfast followed, lunch deviated to the wrap),
/// Wednesday a "No Plan" day, and calories on oats (300) and the wrap (600).
async fn marked_week(c: &mut dbkit::Conn<'_>, alice: mealframe_core::ids::UserId) -> Week {
    let w = generated_week(c, alice).await;
    let l = &w.lib;
    for (meal, kcal) in [(l.oats, 300), (l.wrap, 600)] {
        meals::update(
            c,
            alice,
            meal,
            &MealChange {
                calories_kcal: Some(kcal),
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap();
    }
    let mon = slot_ids(c, alice, MONDAY).await;
    ops::complete(c, alice, mon[0], CompletionStatus::Followed, None, at(2))
        .await
        .unwrap();
    ops::complete(
        c,
        alice,
        mon[1],
        CompletionStatus::Deviated,
        Some(l.wrap),
        at(2),
    )
    .await
    .unwrap();
    ops::set_override(c, alice, day(2), Some("Out"), at(3))
        .await
        .unwrap();
    w
}

#[tokio::test]
async fn tallies_count_each_generated_days_slots_and_unmarked_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    marked_week(c, alice).await;
    generated_week(c, bob).await;
    let tally = |total, unmarked, is_override| DayTally {
        total,
        unmarked,
        is_override,
    };
    let got = facts::tallies(c, alice, MONDAY, day(6)).await.unwrap();
    assert_eq!(
        got.into_iter().collect::<Vec<_>>(),
        vec![
            (day(0), tally(2, 0, false)),
            (day(1), tally(2, 2, false)),
            (day(2), tally(0, 0, true)),
            (day(3), tally(2, 2, false)),
            (day(4), tally(2, 2, false)),
        ]
    );
    let got = facts::tallies(c, alice, day(1), day(2)).await.unwrap();
    assert_eq!(
        got.keys().copied().collect::<Vec<_>>(),
        vec![day(1), day(2)]
    );

    // A period across weeks.
    ops::generate(c, alice, day(7), MONDAY, t0()).await.unwrap();
    let got = facts::tallies(c, alice, day(4), day(8)).await.unwrap();
    assert_eq!(
        got.keys().copied().collect::<Vec<_>>(),
        vec![day(4), day(7), day(8)]
    );
    assert!(
        facts::tallies(c, alice, day(-30), day(-1))
            .await
            .unwrap()
            .is_empty()
    );

    let bobs = facts::tallies(c, bob, MONDAY, day(6)).await.unwrap();
    assert_eq!(bobs.len(), 5);
    assert!(
        bobs.values().all(|t| *t == tally(2, 2, false)),
        "Alice's marks are hers"
    );
}

#[tokio::test]
async fn slot_facts_carry_each_slots_status_type_and_planned_and_actual_macros() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let w = marked_week(c, alice).await;
    let l = &w.lib;
    generated_week(c, bob).await;
    let kcal = |k| Macros {
        calories_kcal: Some(k),
        ..Default::default()
    };

    let got: Vec<_> = facts::slots(c, alice, MONDAY, day(2))
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.date, s.status, s.meal_type, s.planned, s.actual))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                day(0),
                Some(CompletionStatus::Followed),
                Some(l.breakfast),
                Some(kcal(300)),
                None
            ),
            (
                day(0),
                Some(CompletionStatus::Deviated),
                Some(l.lunch),
                Some(Macros::default()),
                Some(kcal(600))
            ),
            (
                day(1),
                None,
                Some(l.breakfast),
                Some(Macros::default()),
                None
            ),
            (day(1), None, Some(l.lunch), Some(Macros::default()), None),
        ],
        "Wednesday has no slots"
    );
    let bobs = facts::slots(c, bob, MONDAY, day(6)).await.unwrap();
    assert_eq!(bobs.len(), 10);
    assert!(
        bobs.iter()
            .all(|s| s.status.is_none() && s.actual.is_none())
    );
    assert!(
        facts::slots(c, alice, day(7), day(13))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn day_facts_carry_each_days_current_template_name_and_limits() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let w = marked_week(c, alice).await;
    generated_week(c, bob).await;
    day_templates::update(
        c,
        alice,
        w.lib.workday,
        &TemplateChange {
            name: Some("Work".into()),
            max_calories_kcal: Some(Some(1900)),
            max_protein: Some(Some(Tenths::from_db(1400))),
            ..Default::default()
        },
        at(4),
    )
    .await
    .unwrap();
    let got: Vec<_> = facts::days(c, alice, day(1), day(6))
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.date,
                d.is_override,
                d.template_name,
                d.max_calories_kcal,
                d.max_protein,
            )
        })
        .collect();
    let work = |date, is_override| {
        (
            date,
            is_override,
            Some("Work".to_owned()),
            Some(1900),
            Some(Tenths::from_db(1400)),
        )
    };
    assert_eq!(
        got,
        vec![
            work(day(1), false),
            work(day(2), true),
            work(day(3), false),
            work(day(4), false)
        ]
    );
    let bobs = facts::days(c, bob, MONDAY, day(6)).await.unwrap();
    assert_eq!(bobs.len(), 5);
    assert!(
        bobs.iter()
            .all(|d| d.template_name.as_deref() == Some("Workday"))
    );
}
