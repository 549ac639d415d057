//! Issue 13: push subscriptions (`accounts::push_subscriptions`), reminder settings and the
//! exactly-once record of reminders sent (`accounts::reminders`).

use dbkit::ConstraintKind;
use mealframe_store::accounts::{
    push_subscriptions::{self, NewSubscription},
    reminders::{self, NudgeChannel, ReminderSettings, SendKey},
    users,
};

use crate::support::*;

fn sub(endpoint: &str) -> NewSubscription<'_> {
    NewSubscription {
        endpoint,
        p256dh: "BPub",
        auth: "secret",
        user_agent: "Firefox on Linux",
    }
}

#[tokio::test]
async fn subscriptions_are_stored_per_user_and_an_endpoint_moves_to_whoever_subscribes_it() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    assert!(
        push_subscriptions::upsert(c, alice, &sub("https://push.example/a"), t0())
            .await
            .unwrap()
    );
    // The same endpoint again (a browser re-subscribing) is not new.
    assert!(
        !push_subscriptions::upsert(c, alice, &sub("https://push.example/a"), at(1))
            .await
            .unwrap()
    );
    assert!(
        push_subscriptions::upsert(c, alice, &sub("https://push.example/b"), at(2))
            .await
            .unwrap()
    );
    let mine = push_subscriptions::list(c, alice).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].endpoint, "https://push.example/a");
    assert_eq!(mine[0].user_agent, "Firefox on Linux");
    assert_eq!(mine[0].last_success_at, None);
    assert!(push_subscriptions::list(c, bob).await.unwrap().is_empty());

    // Another user cannot touch alice's rows by id or endpoint.
    assert!(
        !push_subscriptions::delete(c, bob, mine[0].id)
            .await
            .unwrap()
    );
    assert!(
        !push_subscriptions::delete_by_endpoint(c, bob, "https://push.example/a")
            .await
            .unwrap()
    );
    push_subscriptions::mark_success(c, bob, mine[0].id, at(5))
        .await
        .unwrap();
    assert_eq!(
        push_subscriptions::list(c, alice).await.unwrap()[0].last_success_at,
        None
    );
    push_subscriptions::mark_success(c, alice, mine[0].id, at(5))
        .await
        .unwrap();
    assert_eq!(
        push_subscriptions::list(c, alice).await.unwrap()[0].last_success_at,
        Some(at(5))
    );

    // Bob signs in on alice's browser and turns reminders on: the device is his now.
    assert!(
        push_subscriptions::upsert(c, bob, &sub("https://push.example/a"), at(6))
            .await
            .unwrap()
    );
    assert_eq!(push_subscriptions::list(c, alice).await.unwrap().len(), 1);
    assert_eq!(push_subscriptions::list(c, bob).await.unwrap().len(), 1);

    assert!(
        push_subscriptions::delete_by_endpoint(c, alice, "https://push.example/b")
            .await
            .unwrap()
    );
    let bobs = push_subscriptions::list(c, bob).await.unwrap();
    assert!(
        push_subscriptions::delete(c, bob, bobs[0].id)
            .await
            .unwrap()
    );
    assert!(push_subscriptions::list(c, bob).await.unwrap().is_empty());

    // Everything of one user, nobody else's.
    push_subscriptions::upsert(c, alice, &sub("https://push.example/c"), at(7))
        .await
        .unwrap();
    push_subscriptions::upsert(c, bob, &sub("https://push.example/d"), at(7))
        .await
        .unwrap();
    assert_eq!(push_subscriptions::delete_all(c, alice).await.unwrap(), 1);
    assert!(push_subscriptions::list(c, alice).await.unwrap().is_empty());
    assert_eq!(push_subscriptions::list(c, bob).await.unwrap().len(), 1);
}

#[tokio::test]
async fn reminder_settings_default_until_saved_and_out_of_range_values_break_a_check() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let defaults = reminders::settings(c, alice).await.unwrap();
    assert_eq!(defaults, ReminderSettings::default());
    assert_eq!(
        (
            defaults.lead_minutes,
            defaults.nudge_weekday,
            defaults.nudge_minutes
        ),
        (10, 7, 1080)
    );
    let mine = ReminderSettings {
        lead_minutes: 30,
        nudge_weekday: 6,
        nudge_minutes: 9 * 60,
        nudge_channel: NudgeChannel::Both,
        digest_minutes: Some(7 * 60),
    };
    reminders::put_settings(c, alice, &mine, at(1))
        .await
        .unwrap();
    reminders::put_settings(c, alice, &mine, at(2))
        .await
        .unwrap();
    assert_eq!(reminders::settings(c, alice).await.unwrap(), mine);
    assert_eq!(
        reminders::settings(c, bob).await.unwrap(),
        ReminderSettings::default()
    );
    drop(tx);

    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let carol = user(c, "carol@example.org").await;
    let bad = ReminderSettings {
        nudge_weekday: 8,
        ..ReminderSettings::default()
    };
    let r = reminders::put_settings(c, carol, &bad, at(1)).await;
    assert_eq!(integrity(r), ConstraintKind::Check);
}

#[tokio::test]
async fn recipients_are_active_users_with_a_subscription_or_an_email_nudge() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let _nobody = user(c, "carol@example.org").await;
    let dave = user(c, "dave@example.org").await;
    push_subscriptions::upsert(c, alice, &sub("https://push.example/a"), t0())
        .await
        .unwrap();
    let email = ReminderSettings {
        nudge_channel: NudgeChannel::Email,
        ..ReminderSettings::default()
    };
    reminders::put_settings(c, bob, &email, t0()).await.unwrap();
    let eve = user(c, "eve@example.org").await;
    let digest = ReminderSettings {
        nudge_channel: NudgeChannel::Off,
        digest_minutes: Some(420),
        ..ReminderSettings::default()
    };
    reminders::put_settings(c, eve, &digest, t0())
        .await
        .unwrap();
    push_subscriptions::upsert(c, dave, &sub("https://push.example/d"), t0())
        .await
        .unwrap();
    users::set_active(c, dave, false, t0()).await.unwrap();
    let mut want = vec![alice, bob, eve];
    want.sort_by_key(|u| u.uuid());
    assert_eq!(reminders::recipients(c).await.unwrap(), want);
}

#[tokio::test]
async fn a_reminder_is_claimed_once_retried_after_failure_and_never_again_once_finished() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let key = SendKey {
        user: alice,
        kind: "meal",
        subject: "slot-1",
        target: "sub-1",
        due_at: at(600),
    };
    let lease = |s: i64| at(s + 120);
    assert!(
        reminders::claim(c, &key, "a", at(600), lease(600))
            .await
            .unwrap()
    );
    // Held by "a": nobody else gets it, not even after a restart, until the lease runs out.
    assert!(
        !reminders::claim(c, &key, "b", at(601), lease(601))
            .await
            .unwrap()
    );
    // "a" failed (push service 503): retried from its retry time, by whoever comes first.
    reminders::retry_later(c, &key, "a", at(660)).await.unwrap();
    assert!(
        !reminders::claim(c, &key, "b", at(630), lease(630))
            .await
            .unwrap()
    );
    assert!(
        reminders::claim(c, &key, "b", at(660), lease(660))
            .await
            .unwrap()
    );
    // A stale claimer cannot finish it.
    assert!(!reminders::finish(c, &key, "a", at(661)).await.unwrap());
    assert!(reminders::finish(c, &key, "b", at(661)).await.unwrap());
    assert!(
        !reminders::claim(c, &key, "c", at(9000), lease(9000))
            .await
            .unwrap()
    );
    assert_eq!(reminders::finished_count(c, alice).await.unwrap(), 1);

    // A lease left by a dead sender runs out and the reminder is taken over.
    let other = SendKey {
        target: "email",
        ..key.clone()
    };
    assert!(
        reminders::claim(c, &other, "d", at(600), lease(600))
            .await
            .unwrap()
    );
    assert!(
        !reminders::claim(c, &other, "e", at(700), lease(700))
            .await
            .unwrap()
    );
    assert!(
        reminders::claim(c, &other, "e", at(721), lease(721))
            .await
            .unwrap()
    );

    // Another user's reminder with the same subject is a different row.
    let bob = user(c, "bob@example.org").await;
    let bobs = SendKey {
        user: bob,
        ..key.clone()
    };
    assert!(
        reminders::claim(c, &bobs, "f", at(600), lease(600))
            .await
            .unwrap()
    );
    assert_eq!(reminders::finished_count(c, bob).await.unwrap(), 0);

    assert_eq!(reminders::purge_before(c, at(0)).await.unwrap(), 0);
    assert_eq!(reminders::purge_before(c, at(10_000)).await.unwrap(), 3);
}
