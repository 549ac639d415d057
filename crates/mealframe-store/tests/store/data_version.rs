//! Migration 0003: triggers move `users.data_version` on every change to what the Today, Week and
//! Stats views show (the server's view caches are keyed by it). Each write below is committed on
//! its own, as a request would, and must move its user's version and leave everyone else's.

use dbkit::{Db, Timestamp};
use mealframe_core::{ids::UserId, planning::completion::CompletionStatus};
use mealframe_store::{
    accounts::{sessions, users},
    library::{
        day_templates::{self, TemplateChange},
        meal_types,
        meals::{self, MealChange},
        week_plans,
    },
    plans::{facts, ops, views, writes},
};

use crate::support::*;

/// Both users' `(data_version, library_version)`.
async fn versions(db: &Db, a: UserId, b: UserId) -> ((i64, i64), (i64, i64)) {
    let mut r = db.reader().await.unwrap();
    (
        versions_of(&mut r.conn(), a).await,
        versions_of(&mut r.conn(), b).await,
    )
}

/// Commit `$body` (with `$c` the connection) and check that it moved `$mover`'s data version
/// and not `$other`'s, and `$mover`'s library version (migration 0013) only when `library` is
/// written before the body: a change to the library or to which weeks exist.
macro_rules! moves {
    ($db:expr, $mover:expr, $other:expr, $what:literal, |$c:ident| $body:expr) => {
        moves!(@check $db, $mover, $other, $what, false, |$c| $body)
    };
    ($db:expr, $mover:expr, $other:expr, $what:literal, library, |$c:ident| $body:expr) => {
        moves!(@check $db, $mover, $other, $what, true, |$c| $body)
    };
    (@check $db:expr, $mover:expr, $other:expr, $what:literal, $library:expr, |$c:ident| $body:expr) => {{
        let before = versions($db, $mover, $other).await;
        let mut tx = $db.begin().await.unwrap();
        {
            let $c = &mut tx.conn();
            $body;
        }
        tx.commit().await.unwrap();
        let after = versions($db, $mover, $other).await;
        assert!(
            after.0.0 > before.0.0,
            "{}: the writer's version stayed at {}",
            $what,
            before.0.0
        );
        assert_eq!(after.1, before.1, "{}: another user's versions moved", $what);
        if $library {
            assert!(
                after.0.1 > before.0.1,
                "{}: the writer's library version stayed at {}",
                $what,
                before.0.1
            );
        } else {
            assert_eq!(
                after.0.1, before.0.1,
                "{}: the writer's library version moved",
                $what
            );
        }
    }};
}

struct Two {
    alice: UserId,
    bob: UserId,
    a: Week,
    b: Week,
}

async fn two_users_with_weeks(db: &Db) -> Two {
    let mut tx = db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = generated_week(c, alice).await;
    let b = generated_week(c, bob).await;
    tx.commit().await.unwrap();
    Two { alice, bob, a, b }
}

#[tokio::test]
async fn every_change_to_a_users_weeks_moves_their_data_version_and_no_one_elses() {
    let t = db().await;
    let Two { alice, bob, a, b } = two_users_with_weeks(&t.db).await;
    let l = &a.lib;
    let db = &t.db;
    let now: Timestamp = at(60);
    let mon = {
        let mut r = db.reader().await.unwrap();
        slot_ids(&mut r.conn(), alice, MONDAY).await
    };

    moves!(db, alice, bob, "generating a week", library, |c| {
        ops::generate(c, alice, day(7), MONDAY, now).await.unwrap()
    });
    moves!(db, alice, bob, "regenerating a week", |c| ops::generate(
        c, alice, MONDAY, MONDAY, now
    )
    .await
    .unwrap());
    moves!(db, alice, bob, "marking a slot", |c| ops::complete(
        c,
        alice,
        mon[0],
        CompletionStatus::Followed,
        None,
        now
    )
    .await
    .unwrap());
    moves!(db, alice, bob, "marking with an actual meal", |c| {
        ops::complete(
            c,
            alice,
            mon[1],
            CompletionStatus::Deviated,
            Some(l.wrap),
            now,
        )
        .await
        .unwrap()
    });
    moves!(db, alice, bob, "unmarking a slot", |c| ops::uncomplete(
        c, alice, mon[0]
    )
    .await
    .unwrap());
    moves!(db, alice, bob, "reassigning a slot", |c| ops::reassign(
        c, alice, mon[1], l.soup, None, MONDAY
    )
    .await
    .unwrap());
    let extra;
    moves!(db, alice, bob, "adding an ad-hoc meal", |c| extra =
        ops::add_adhoc(c, alice, day(1), l.oats, now).await.unwrap());
    moves!(db, alice, bob, "removing an ad-hoc meal", |c| {
        ops::delete_adhoc(c, alice, extra).await.unwrap()
    });
    moves!(db, alice, bob, "a No Plan day", |c| ops::set_override(
        c,
        alice,
        day(2),
        Some("Out"),
        now
    )
    .await
    .unwrap());
    moves!(db, alice, bob, "changing the reason only", |c| {
        ops::set_override(c, alice, day(2), Some("Away"), now)
            .await
            .unwrap()
    });
    moves!(db, alice, bob, "clearing a No Plan day", |c| {
        ops::clear_override(c, alice, day(2), now).await.unwrap()
    });
    moves!(db, alice, bob, "switching a day's template", |c| {
        ops::switch_day_template(c, alice, day(3), l.workday, now)
            .await
            .unwrap()
    });
    moves!(db, alice, bob, "a slot statement by id", |c| {
        writes::set_slot_meal(c, mon[0], Some(l.eggs))
            .await
            .unwrap()
    });
    moves!(db, alice, bob, "a day statement", |c| {
        let (day_id, _, _) = writes::day_record(c, a.id, day(4)).await.unwrap().unwrap();
        writes::set_day_override(c, day_id, true, None, now)
            .await
            .unwrap()
    });
    moves!(db, alice, bob, "deleting a day's slots", |c| {
        writes::delete_slots(c, a.id, day(4)).await.unwrap()
    });
    moves!(
        db,
        alice,
        bob,
        "deleting the week plan a week came from",
        library,
        |c| assert!(week_plans::delete(c, alice, l.plan).await.unwrap())
    );

    // And the other way round.
    moves!(db, bob, alice, "Bob marking his slot", |c| {
        let slot = slot_ids(c, bob, MONDAY).await[0];
        ops::complete(c, bob, slot, CompletionStatus::Skipped, None, now)
            .await
            .unwrap()
    });
    moves!(db, bob, alice, "Bob regenerating", |c| ops::regenerate(
        c, bob, b.id, MONDAY, now
    )
    .await
    .unwrap());
}

#[tokio::test]
async fn changes_to_the_library_the_views_show_move_the_version() {
    let t = db().await;
    let Two { alice, bob, a, .. } = two_users_with_weeks(&t.db).await;
    let l = &a.lib;
    let db = &t.db;
    let (spare_type, spare_template) = {
        let mut tx = db.begin().await.unwrap();
        let c = &mut tx.conn();
        let mt = meal_type(c, alice, "Spare").await;
        let tmpl = day_templates::insert(
            c,
            alice,
            &day_templates::NewTemplate {
                notes: Some("n".into()),
                ..new_template("Spare", &[])
            },
            t0(),
        )
        .await
        .unwrap()
        .id;
        tx.commit().await.unwrap();
        (mt, tmpl)
    };

    moves!(db, alice, bob, "editing a meal", library, |c| assert!(
        meals::update(
            c,
            alice,
            l.oats,
            &MealChange {
                calories_kcal: Some(300),
                ..Default::default()
            },
            at(1)
        )
        .await
        .unwrap()
    ));
    moves!(db, alice, bob, "clearing a meal's values", library, |c| {
        meals::clear_fields(c, alice, l.oats, &["calories_kcal"], true)
            .await
            .unwrap()
    });
    moves!(db, alice, bob, "deleting a meal", library, |c| assert!(
        meals::delete(c, alice, l.wrap).await.unwrap()
    ));
    moves!(db, alice, bob, "renaming a meal type", library, |c| {
        meal_types::update(c, alice, l.breakfast, Some("Morning"), None, None, at(2))
            .await
            .unwrap()
            .unwrap()
    });
    moves!(
        db,
        alice,
        bob,
        "deleting a meal type",
        library,
        |c| assert!(meal_types::delete(c, alice, spare_type).await.unwrap())
    );
    moves!(
        db,
        alice,
        bob,
        "changing a template's limits",
        library,
        |c| {
            day_templates::update(
                c,
                alice,
                l.workday,
                &TemplateChange {
                    max_calories_kcal: Some(Some(1800)),
                    ..Default::default()
                },
                at(3),
            )
            .await
            .unwrap()
            .unwrap()
        }
    );
    moves!(
        db,
        alice,
        bob,
        "clearing a template's notes",
        library,
        |c| {
            day_templates::clear_notes(c, alice, spare_template)
                .await
                .unwrap()
        }
    );
    moves!(db, alice, bob, "deleting a template", library, |c| assert!(
        day_templates::delete(c, alice, spare_template)
            .await
            .unwrap()
    ));
}

#[tokio::test]
async fn reads_and_sign_in_bookkeeping_leave_the_version_alone() {
    let t = db().await;
    let Two { alice, bob, .. } = two_users_with_weeks(&t.db).await;
    let before = versions(&t.db, alice, bob).await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    views::week(c, alice, MONDAY).await.unwrap();
    facts::slots(c, alice, MONDAY, day(6)).await.unwrap();
    sessions::insert(c, alice, "s", at(60), t0()).await.unwrap();
    users::set_verified(c, alice, at(1)).await.unwrap();
    users::bump_token_generation(c, alice).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(versions(&t.db, alice, bob).await, before);
}

/// Migration 0011: the library lists (Meals, the pickers, Setup's progress) are cached under the
/// version too, so new rows and the rows that link them move it.
#[tokio::test]
async fn new_library_rows_and_their_links_move_the_version() {
    let t = db().await;
    let Two { alice, bob, a, .. } = two_users_with_weeks(&t.db).await;
    let l = &a.lib;
    let db = &t.db;

    let extra_type;
    moves!(db, alice, bob, "a new meal type", library, |c| extra_type =
        meal_type(c, alice, "Supper").await);
    let extra_meal;
    moves!(db, alice, bob, "a new meal without types", library, |c| {
        extra_meal = meal(c, alice, "Toast", &[], at(5)).await
    });
    moves!(
        db,
        alice,
        bob,
        "giving a meal its types",
        library,
        |c| assert!(
            meals::update(
                c,
                alice,
                extra_meal,
                &MealChange {
                    meal_types: Some(vec![extra_type, l.breakfast]),
                    ..Default::default()
                },
                at(6)
            )
            .await
            .unwrap()
        )
    );
    let extra_template;
    moves!(db, alice, bob, "a new day template", library, |c| {
        extra_template = template(c, alice, "Late", &[extra_type]).await
    });
    moves!(db, alice, bob, "a template's slots", library, |c| {
        day_templates::update(
            c,
            alice,
            extra_template,
            &TemplateChange {
                slots: Some(slots(&[l.breakfast, extra_type])),
                ..Default::default()
            },
            at(7),
        )
        .await
        .unwrap()
        .unwrap()
    });
    let extra_plan;
    moves!(db, alice, bob, "a new week plan", library, |c| extra_plan =
        week_plan(c, alice, "Holidays", &[(0, extra_template)]).await);
    moves!(db, alice, bob, "a week plan's days", library, |c| {
        week_plans::update(
            c,
            alice,
            extra_plan,
            None,
            None,
            Some(&[(1, extra_template)]),
            at(8),
        )
        .await
        .unwrap()
        .unwrap()
    });
}

/// Migration 0012 (SQLite): `user_changes` names each user whose row or web sessions changed, in
/// commit order, so a server drops only their cached entries. PostgreSQL keeps no such log.
#[tokio::test]
async fn the_change_log_names_whose_row_or_sessions_changed() {
    use mealframe_store::accounts::user_changes;
    let t = db().await;
    let Two { alice, bob, .. } = two_users_with_weeks(&t.db).await;
    let db = &t.db;
    let since = |seq: i64| async move {
        let mut r = db.reader().await.unwrap();
        user_changes::since(&mut r.conn(), seq).await.unwrap()
    };
    let start = since(0).await.last().map_or(0, |(_, s)| *s);
    let session = {
        let mut tx = db.begin().await.unwrap();
        let s = sessions::insert(&mut tx.conn(), bob, "h", at(3600), t0())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        s
    };
    let commit = |f: &'static str| async move {
        let mut tx = db.begin().await.unwrap();
        let c = &mut tx.conn();
        match f {
            "mark" => {
                let slot = slot_ids(c, alice, MONDAY).await[0];
                ops::complete(c, alice, slot, CompletionStatus::Followed, None, at(5))
                    .await
                    .unwrap();
            }
            "touch" => sessions::touch(c, session, at(7200), at(6)).await.unwrap(),
            "logout" => sessions::delete(c, session).await.unwrap(),
            _ => users::set_verified(c, alice, at(7)).await.unwrap(),
        }
        tx.commit().await.unwrap();
    };

    commit("mark").await;
    let after_mark = since(start).await;
    if t.engine() == dbkit::Engine::Postgres {
        assert_eq!(after_mark, vec![]);
        return;
    }
    assert_eq!(
        after_mark.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        vec![alice]
    );
    let mark_seq = after_mark[0].1;
    assert!(mark_seq > start);
    assert_eq!(
        since(mark_seq).await,
        vec![],
        "nothing after the last change"
    );

    commit("touch").await;
    let after_touch = since(mark_seq).await;
    assert_eq!(
        after_touch.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        vec![bob]
    );
    commit("logout").await;
    commit("verify").await;
    // One row per user, at their latest change, in commit order.
    let all = since(mark_seq).await;
    assert_eq!(
        all.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        vec![bob, alice]
    );
    assert!(all[0].1 > after_touch[0].1 && all[1].1 > all[0].1);
}
