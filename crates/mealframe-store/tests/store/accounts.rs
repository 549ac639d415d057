//! `accounts::*`: users, web sessions, tokens, failed logins, OAuth state, page views,
//! idempotency keys and the mail outbox.

use std::time::Duration as StdDuration;

use dbkit::{ConstraintKind, Engine, execute, fetch_one};
use mealframe_core::ids::UserId;
use mealframe_store::{
    StoreError,
    accounts::{
        idempotency::{self, Claim, Claimant},
        login_attempts,
        mail_outbox::{self, NewMail},
        oauth, pageviews, sessions,
        tokens::{self, EmailTokenKind, RevokeReason},
        users::{self, AuthProvider, NewUser},
    },
    ai_usage,
};
use serde_json::json;
use uuid::Uuid;

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// users

#[tokio::test]
async fn a_new_user_is_active_in_utc_with_empty_preferences_and_version_zero() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let u = users::insert(
        c,
        &NewUser {
            email: "Alice@Example.org",
            email_key: "alice@example.org",
            password_hash: Some("hash"),
            email_verified: false,
            auth_provider: AuthProvider::Email,
            google_sub: None,
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(u.email, "Alice@Example.org");
    assert_eq!(u.email_key, "alice@example.org");
    assert_eq!(u.password_hash.as_deref(), Some("hash"));
    assert!(!u.email_verified);
    assert!(u.is_active);
    assert_eq!(u.auth_provider, AuthProvider::Email);
    assert_eq!(u.google_sub, None);
    assert_eq!(u.timezone, "UTC");
    assert_eq!(u.preferences, json!({}));
    assert_eq!((u.created_at, u.updated_at), (t0(), t0()));
    assert_eq!((u.data_version, u.token_generation), (0, 0));

    let g = users::insert(
        c,
        &NewUser {
            email: "gina@example.org",
            email_key: "gina@example.org",
            password_hash: None,
            email_verified: true,
            auth_provider: AuthProvider::Google,
            google_sub: Some("google-123"),
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(g.auth_provider, AuthProvider::Google);
    assert_eq!(g.google_sub.as_deref(), Some("google-123"));
    assert_eq!(g.password_hash, None);
    assert!(g.email_verified);
}

#[tokio::test]
async fn an_address_already_taken_is_a_unique_violation() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    user(&mut tx.conn(), "alice@example.org").await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let mut again = new_user("alice@example.org");
    again.email = "ALICE@example.org";
    let err = users::insert(&mut tx.conn(), &again, t0())
        .await
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err:?}");
    drop(tx);

    let mut r = t.db.reader().await.unwrap();
    assert_eq!(users::list(&mut r.conn()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_google_identity_belongs_to_one_account() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let mut google = new_user("gina@example.org");
    google.google_sub = Some("sub-1");
    google.auth_provider = AuthProvider::Google;
    users::insert(c, &google, t0()).await.unwrap();
    let bob = user(c, "bob@example.org").await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let mut other = new_user("other@example.org");
    other.google_sub = Some("sub-1");
    let insert = users::insert(&mut tx.conn(), &other, t0()).await;
    assert_eq!(integrity(insert), ConstraintKind::Unique);
    drop(tx);

    let mut tx = t.db.begin().await.unwrap();
    let link = users::link_google(&mut tx.conn(), bob, "sub-1", at(1)).await;
    assert_eq!(integrity(link), ConstraintKind::Unique);
}

#[tokio::test]
async fn users_are_found_by_id_address_key_and_google_identity_and_unknown_ones_are_not() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let mut g = new_user("gina@example.org");
    g.google_sub = Some("sub-9");
    let gina = users::insert(c, &g, t0()).await.unwrap().id;
    let bob = user(c, "bob@example.org").await;
    tx.commit().await.unwrap();

    let mut r = t.db.reader().await.unwrap();
    let c = &mut r.conn();
    assert_eq!(users::by_id(c, gina).await.unwrap().unwrap().id, gina);
    assert_eq!(users::by_id(c, bob).await.unwrap().unwrap().id, bob);
    assert!(users::by_id(c, unknown()).await.unwrap().is_none());
    let by_key = users::by_email_key(c, "bob@example.org").await.unwrap();
    assert_eq!(by_key.unwrap().id, bob);
    assert!(
        users::by_email_key(c, "BOB@example.org")
            .await
            .unwrap()
            .is_none(),
        "the key is matched exactly: callers lower-case it"
    );
    assert!(
        users::by_email_key(c, "nobody@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        users::by_google_sub(c, "sub-9").await.unwrap().unwrap().id,
        gina
    );
    assert!(users::by_google_sub(c, "sub-0").await.unwrap().is_none());
}

#[tokio::test]
async fn users_are_listed_oldest_first() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let late = users::insert(c, &new_user("late@example.org"), at(60))
        .await
        .unwrap()
        .id;
    let early = users::insert(c, &new_user("early@example.org"), at(-60))
        .await
        .unwrap()
        .id;
    let middle = users::insert(c, &new_user("middle@example.org"), t0())
        .await
        .unwrap()
        .id;
    let listed: Vec<UserId> = users::list(c)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, vec![early, middle, late]);
}

#[tokio::test]
async fn verifying_changing_the_password_and_deactivating_change_only_that_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;

    users::set_verified(c, alice, at(1)).await.unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert!(a.email_verified);
    assert_eq!(a.updated_at, at(1));

    users::set_password_hash(c, alice, "new-hash", at(2))
        .await
        .unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(a.password_hash.as_deref(), Some("new-hash"));
    assert_eq!(a.updated_at, at(2));

    users::set_active(c, alice, false, at(3)).await.unwrap();
    assert!(!users::by_id(c, alice).await.unwrap().unwrap().is_active);
    users::set_active(c, alice, true, at(4)).await.unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert!(a.is_active);
    assert_eq!(a.updated_at, at(4));

    let b = users::by_id(c, bob).await.unwrap().unwrap();
    assert!(!b.email_verified);
    assert_eq!(b.password_hash.as_deref(), Some("$argon2id$stub"));
    assert!(b.is_active);
    assert_eq!(b.updated_at, t0());

    // An unknown id changes nothing and is not an error.
    users::set_verified(c, unknown(), at(5)).await.unwrap();
    users::set_password_hash(c, unknown(), "x", at(5))
        .await
        .unwrap();
    users::set_active(c, unknown(), false, at(5)).await.unwrap();
    assert_eq!(users::list(c).await.unwrap().len(), 2);
}

#[tokio::test]
async fn linking_google_sets_the_identity_and_verifies_the_address() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    users::link_google(c, alice, "sub-a", at(1)).await.unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(a.google_sub.as_deref(), Some("sub-a"));
    assert!(a.email_verified);
    assert_eq!(a.updated_at, at(1));
    assert_eq!(
        a.auth_provider,
        AuthProvider::Email,
        "the account keeps signing in by password too"
    );
    let b = users::by_id(c, bob).await.unwrap().unwrap();
    assert_eq!(b.google_sub, None);
    assert!(!b.email_verified);
}

#[tokio::test]
async fn a_profile_update_changes_only_the_given_fields_of_that_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;

    users::update_profile(c, alice, Some("Europe/Berlin"), None, at(1))
        .await
        .unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(a.timezone, "Europe/Berlin");
    assert_eq!(a.preferences, json!({}));
    assert_eq!(a.updated_at, at(1));

    let prefs = json!({"theme": "dark", "week_starts": 1, "nested": {"a": [1, 2]}});
    users::update_profile(c, alice, None, Some(&prefs), at(2))
        .await
        .unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(a.timezone, "Europe/Berlin");
    assert_eq!(a.preferences, prefs);

    users::update_profile(c, alice, None, None, at(3))
        .await
        .unwrap();
    let a = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(a.updated_at, at(2), "nothing to change, nothing written");

    let b = users::by_id(c, bob).await.unwrap().unwrap();
    assert_eq!(b.timezone, "UTC");
    assert_eq!(b.preferences, json!({}));
}

#[tokio::test]
async fn raising_the_token_generation_affects_only_that_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    users::bump_token_generation(c, alice).await.unwrap();
    users::bump_token_generation(c, alice).await.unwrap();
    let generation = async |c: &mut dbkit::Conn<'_>, u| {
        users::by_id(c, u).await.unwrap().unwrap().token_generation
    };
    assert_eq!(generation(c, alice).await, 2);
    assert_eq!(generation(c, bob).await, 0);
}

#[tokio::test]
async fn a_writer_that_locks_a_user_makes_the_next_writer_of_that_user_wait() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let bob = user(&mut tx.conn(), "bob@example.org").await;
    tx.commit().await.unwrap();

    let mut first = t.db.begin().await.unwrap();
    users::lock_for_write(&mut first.conn(), alice)
        .await
        .unwrap();
    let db = t.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        users::lock_for_write(&mut tx.conn(), alice).await.unwrap();
        let seen = users::by_id(&mut tx.conn(), alice)
            .await
            .unwrap()
            .unwrap()
            .token_generation;
        users::bump_token_generation(&mut tx.conn(), alice)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        seen
    });
    if t.engine() == Engine::Postgres {
        // Row locks: a writer of another user goes ahead meanwhile.
        let mut other = t.db.begin().await.unwrap();
        users::lock_for_write(&mut other.conn(), bob).await.unwrap();
        other.commit().await.unwrap();
    }
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second writer must wait");
    users::bump_token_generation(&mut first.conn(), alice)
        .await
        .unwrap();
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), 1, "it saw the first writer's change");

    let mut r = t.db.reader().await.unwrap();
    let a = users::by_id(&mut r.conn(), alice).await.unwrap().unwrap();
    assert_eq!(a.token_generation, 2);

    // Locking an unknown user is not an error.
    let mut tx = t.db.begin().await.unwrap();
    users::lock_for_write(&mut tx.conn(), unknown())
        .await
        .unwrap();
}

/// Tables holding rows of a user (directly or through their library and weeks).
const USER_TABLES: &[(&str, &str)] = &[
    ("users", "SELECT COUNT(*) FROM users"),
    ("web_sessions", "SELECT COUNT(*) FROM web_sessions"),
    ("refresh_tokens", "SELECT COUNT(*) FROM refresh_tokens"),
    ("email_tokens", "SELECT COUNT(*) FROM email_tokens"),
    (
        "failed_login_attempts",
        "SELECT COUNT(*) FROM failed_login_attempts",
    ),
    ("idempotency_keys", "SELECT COUNT(*) FROM idempotency_keys"),
    ("mail_outbox", "SELECT COUNT(*) FROM mail_outbox"),
    ("openai_usage", "SELECT COUNT(*) FROM openai_usage"),
    ("meal_types", "SELECT COUNT(*) FROM meal_types"),
    ("meals", "SELECT COUNT(*) FROM meals"),
    ("meal_meal_types", "SELECT COUNT(*) FROM meal_meal_types"),
    ("day_templates", "SELECT COUNT(*) FROM day_templates"),
    (
        "day_template_slots",
        "SELECT COUNT(*) FROM day_template_slots",
    ),
    ("week_plans", "SELECT COUNT(*) FROM week_plans"),
    ("week_plan_days", "SELECT COUNT(*) FROM week_plan_days"),
    (
        "weekly_plan_instances",
        "SELECT COUNT(*) FROM weekly_plan_instances",
    ),
    ("weekly_plan_days", "SELECT COUNT(*) FROM weekly_plan_days"),
    (
        "weekly_plan_slots",
        "SELECT COUNT(*) FROM weekly_plan_slots",
    ),
    (
        "round_robin_states",
        "SELECT COUNT(*) FROM round_robin_states",
    ),
];

async fn table_counts(c: &mut dbkit::Conn<'_>) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for (table, sql) in USER_TABLES {
        out.push((*table, count(c, sql).await));
    }
    out
}

/// Everything a user can own, one or more of each.
async fn populate(c: &mut dbkit::Conn<'_>, u: UserId, email: &str) {
    generated_week(c, u).await;
    sessions::insert(c, u, &format!("session-{email}"), at(3600), t0())
        .await
        .unwrap();
    tokens::insert_refresh(c, u, &format!("refresh-{email}"), at(3600), None, t0())
        .await
        .unwrap();
    tokens::insert_email_token(
        c,
        u,
        EmailTokenKind::Verification,
        &format!("email-{email}"),
        at(3600),
        t0(),
    )
    .await
    .unwrap();
    login_attempts::record(c, email, t0()).await.unwrap();
    let me = claimant("instance-1", at(10));
    idempotency::claim(c, u, "key-1", "POST /x", t0(), &me)
        .await
        .unwrap();
    mail_outbox::enqueue(c, &mail(u, "verification"), t0())
        .await
        .unwrap();
    ai_usage::record(
        c,
        u,
        &ai_usage::Usage {
            model: "gpt",
            tokens_prompt: 1,
            tokens_completion: 1,
            cost_micro_usd: None,
        },
        t0(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn deleting_a_user_removes_everything_of_theirs_and_nothing_of_anyone_else() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    populate(c, alice, "alice@example.org").await;
    populate(c, bob, "bob@example.org").await;
    tx.commit().await.unwrap();

    let mut r = t.db.reader().await.unwrap();
    let before = table_counts(&mut r.conn()).await;
    drop(r);
    for (table, n) in &before {
        assert!(*n >= 2 && n % 2 == 0, "{table}: {n} rows for two users");
    }

    let mut tx = t.db.begin().await.unwrap();
    assert!(users::delete(&mut tx.conn(), alice).await.unwrap());
    tx.commit().await.unwrap();

    let mut r = t.db.reader().await.unwrap();
    let c = &mut r.conn();
    let after = table_counts(c).await;
    let halved: Vec<(&str, i64)> = before.iter().map(|(t, n)| (*t, n / 2)).collect();
    assert_eq!(after, halved, "only bob's rows are left");
    assert!(users::by_id(c, alice).await.unwrap().is_none());
    assert_eq!(
        login_attempts::count_since(c, "bob@example.org", t0())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        login_attempts::count_since(c, "alice@example.org", t0())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        mealframe_store::library::progress(c, bob).await.unwrap(),
        mealframe_store::library::SetupProgress {
            meal_types: 2,
            meals: 5,
            templates: 1,
            default_plan: true,
            weeks: 1
        }
    );
    drop(r);

    let mut tx = t.db.begin().await.unwrap();
    assert!(
        !users::delete(&mut tx.conn(), alice).await.unwrap(),
        "already gone"
    );
    assert!(!users::delete(&mut tx.conn(), unknown()).await.unwrap());
}

// ---------------------------------------------------------------------------------------------
// web sessions

#[tokio::test]
async fn a_session_is_live_until_it_expires() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = sessions::insert(c, alice, "hash-a", at(60), t0())
        .await
        .unwrap();
    let s = sessions::live_by_hash(c, "hash-a", at(59))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.id, id);
    assert_eq!(s.user(), alice);
    assert_eq!(
        (s.created_at, s.last_seen_at, s.expires_at),
        (t0(), t0(), at(60))
    );
    assert!(
        sessions::live_by_hash(c, "hash-a", at(60))
            .await
            .unwrap()
            .is_none(),
        "expired at its expiry"
    );
    assert!(
        sessions::live_by_hash(c, "hash-b", t0())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_live_session_comes_with_its_users_row_in_one_read() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let id = sessions::insert(c, alice, "hash-a", at(60), t0())
        .await
        .unwrap();
    sessions::insert(c, bob, "hash-b", at(60), at(1))
        .await
        .unwrap();
    let (s, u) = users::with_live_session(c, "hash-a", at(59))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.id, s.user()), (id, alice));
    assert_eq!(
        (s.created_at, s.last_seen_at, s.expires_at),
        (t0(), t0(), at(60))
    );
    let row = users::by_id(c, alice).await.unwrap().unwrap();
    assert_eq!(
        format!("{u:?}"),
        format!("{row:?}"),
        "the same row as by id"
    );
    let (_, b) = users::with_live_session(c, "hash-b", at(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.id, bob);
    assert!(
        users::with_live_session(c, "hash-a", at(60))
            .await
            .unwrap()
            .is_none(),
        "expired at its expiry"
    );
    assert!(
        users::with_live_session(c, "nope", t0())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn touching_a_session_slides_its_expiry() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = sessions::insert(c, alice, "hash-a", at(60), t0())
        .await
        .unwrap();
    sessions::touch(c, id, at(120), at(50)).await.unwrap();
    let s = sessions::live_by_hash(c, "hash-a", at(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((s.last_seen_at, s.expires_at), (at(50), at(120)));
    assert_eq!(s.created_at, t0());
}

#[tokio::test]
async fn deleting_a_session_ends_only_that_session() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let a1 = sessions::insert(c, alice, "a1", at(60), t0())
        .await
        .unwrap();
    sessions::insert(c, alice, "a2", at(60), t0())
        .await
        .unwrap();
    sessions::delete(c, a1).await.unwrap();
    sessions::delete(c, unknown()).await.unwrap();
    assert!(
        sessions::live_by_hash(c, "a1", t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::live_by_hash(c, "a2", t0())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn ending_all_sessions_of_a_user_keeps_the_named_one_and_other_users_sessions() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let keep = sessions::insert(c, alice, "a1", at(60), t0())
        .await
        .unwrap();
    sessions::insert(c, alice, "a2", at(60), t0())
        .await
        .unwrap();
    sessions::insert(c, alice, "a3", at(60), t0())
        .await
        .unwrap();
    sessions::insert(c, bob, "b1", at(60), t0()).await.unwrap();

    assert_eq!(sessions::delete_all(c, alice, Some(keep)).await.unwrap(), 2);
    assert!(
        sessions::live_by_hash(c, "a1", t0())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        sessions::live_by_hash(c, "a2", t0())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::live_by_hash(c, "b1", t0())
            .await
            .unwrap()
            .is_some()
    );

    // Bob's kept session id means nothing for Alice, and no keep ends them all.
    assert_eq!(sessions::delete_all(c, alice, None).await.unwrap(), 1);
    assert_eq!(sessions::delete_all(c, alice, None).await.unwrap(), 0);
    assert!(
        sessions::live_by_hash(c, "b1", t0())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn purging_sessions_removes_only_expired_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    sessions::insert(c, alice, "old", at(10), t0())
        .await
        .unwrap();
    sessions::insert(c, alice, "due", at(20), t0())
        .await
        .unwrap();
    sessions::insert(c, alice, "new", at(30), t0())
        .await
        .unwrap();
    assert_eq!(sessions::purge_expired(c, at(20)).await.unwrap(), 2);
    assert!(
        sessions::live_by_hash(c, "new", t0())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(sessions::purge_expired(c, at(20)).await.unwrap(), 0);
}

#[tokio::test]
async fn a_token_hash_is_stored_once_whatever_the_token() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    sessions::insert(c, alice, "s", at(60), t0()).await.unwrap();
    tokens::insert_refresh(c, alice, "r", at(60), None, t0())
        .await
        .unwrap();
    tokens::insert_email_token(c, alice, EmailTokenKind::Verification, "e", at(60), t0())
        .await
        .unwrap();
    oauth::insert(c, "o", "nonce", "verifier", t0(), at(60))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Each in its own transaction: on PostgreSQL a failed statement ends the transaction.
    let mut tx = t.db.begin().await.unwrap();
    let r = sessions::insert(&mut tx.conn(), bob, "s", at(60), t0()).await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = tokens::insert_refresh(&mut tx.conn(), bob, "r", at(60), None, t0()).await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = tokens::insert_email_token(
        &mut tx.conn(),
        bob,
        EmailTokenKind::PasswordReset,
        "e",
        at(60),
        t0(),
    )
    .await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = oauth::insert(&mut tx.conn(), "o", "n2", "v2", t0(), at(60)).await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
}

#[tokio::test]
async fn rows_of_an_unknown_user_are_refused_as_a_foreign_key_violation() {
    let t = db().await;
    let nobody: UserId = unknown();
    let mut tx = t.db.begin().await.unwrap();
    let r = sessions::insert(&mut tx.conn(), nobody, "s", at(60), t0()).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = tokens::insert_refresh(&mut tx.conn(), nobody, "r", at(60), None, t0()).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = mail_outbox::enqueue(&mut tx.conn(), &mail(nobody, "verification"), t0()).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
}

// ---------------------------------------------------------------------------------------------
// failed logins

#[tokio::test]
async fn failed_logins_are_counted_per_address_since_a_time() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    for secs in [0, 10, 20] {
        login_attempts::record(c, "alice@example.org", at(secs))
            .await
            .unwrap();
    }
    login_attempts::record(c, "nobody@example.org", at(10))
        .await
        .unwrap();
    let n = async |c: &mut dbkit::Conn<'_>, key, since| {
        login_attempts::count_since(c, key, since).await.unwrap()
    };
    assert_eq!(n(c, "alice@example.org", t0()).await, 3);
    assert_eq!(n(c, "alice@example.org", at(10)).await, 2, "inclusive");
    assert_eq!(n(c, "alice@example.org", at(21)).await, 0);
    assert_eq!(n(c, "nobody@example.org", t0()).await, 1);
    assert_eq!(n(c, "bob@example.org", t0()).await, 0);
}

#[tokio::test]
async fn clearing_failed_logins_forgets_only_that_address() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    login_attempts::record(c, "alice@example.org", t0())
        .await
        .unwrap();
    login_attempts::record(c, "bob@example.org", t0())
        .await
        .unwrap();
    login_attempts::clear(c, "alice@example.org").await.unwrap();
    assert_eq!(
        login_attempts::count_since(c, "alice@example.org", t0())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        login_attempts::count_since(c, "bob@example.org", t0())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn purging_failed_logins_drops_only_older_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    for secs in [0, 10, 20] {
        login_attempts::record(c, "alice@example.org", at(secs))
            .await
            .unwrap();
    }
    assert_eq!(login_attempts::purge_before(c, at(10)).await.unwrap(), 1);
    assert_eq!(
        login_attempts::count_since(c, "alice@example.org", t0())
            .await
            .unwrap(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// landing page views

#[tokio::test]
async fn a_page_view_is_stored_as_given() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    pageviews::insert(
        c,
        &pageviews::NewPageview {
            page_url: "/",
            referrer: Some("https://example.org/"),
            user_agent: Some("Mozilla/5.0"),
            session_id: Some("s-1"),
            ip_hash: Some("abc123"),
        },
        t0(),
    )
    .await
    .unwrap();
    pageviews::insert(
        c,
        &pageviews::NewPageview {
            page_url: "/pricing",
            referrer: None,
            user_agent: None,
            session_id: None,
            ip_hash: None,
        },
        at(1),
    )
    .await
    .unwrap();
    let rows = dbkit::fetch_all!(
        c.reborrow(),
        (String, Option<String>, Option<String>, Option<String>, Option<String>, dbkit::Timestamp),
        "SELECT page_url, referrer, user_agent, session_id, ip_hash, created_at FROM landing_pageviews ORDER BY created_at"
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "/".to_owned(),
                Some("https://example.org/".to_owned()),
                Some("Mozilla/5.0".to_owned()),
                Some("s-1".to_owned()),
                Some("abc123".to_owned()),
                t0()
            ),
            ("/pricing".to_owned(), None, None, None, None, at(1)),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// OAuth state

#[tokio::test]
async fn an_oauth_state_can_be_taken_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    oauth::insert(c, "state-1", "nonce-1", "verifier-1", t0(), at(600))
        .await
        .unwrap();
    let s = oauth::take(c, "state-1").await.unwrap().unwrap();
    assert_eq!(
        (s.nonce.as_str(), s.pkce_verifier.as_str(), s.expires_at),
        ("nonce-1", "verifier-1", at(600))
    );
    assert!(oauth::take(c, "state-1").await.unwrap().is_none());
    assert!(oauth::take(c, "state-2").await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_oauth_state_is_still_taken_for_the_caller_to_refuse() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    oauth::insert(c, "state-1", "n", "v", t0(), at(-1))
        .await
        .unwrap();
    let s = oauth::take(c, "state-1").await.unwrap().unwrap();
    assert_eq!(s.expires_at, at(-1));
}

#[tokio::test]
async fn purging_oauth_states_removes_expired_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    oauth::insert(c, "old", "n", "v", t0(), at(10))
        .await
        .unwrap();
    oauth::insert(c, "new", "n", "v", t0(), at(11))
        .await
        .unwrap();
    assert_eq!(oauth::purge_expired(c, at(10)).await.unwrap(), 1);
    assert!(oauth::take(c, "old").await.unwrap().is_none());
    assert!(oauth::take(c, "new").await.unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// refresh and e-mail tokens

#[tokio::test]
async fn a_refresh_token_is_found_by_its_hash_with_its_sign_in_time() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    tokens::insert_refresh(c, alice, "r1", at(3600), Some(at(-5)), t0())
        .await
        .unwrap();
    tokens::insert_refresh(c, alice, "r2", at(3600), None, t0())
        .await
        .unwrap();
    let r1 = tokens::refresh_by_hash(c, "r1").await.unwrap().unwrap();
    assert_eq!(r1.user(), alice);
    assert_eq!(r1.expires_at, at(3600));
    assert_eq!(r1.authenticated_at, Some(at(-5)));
    assert!(!r1.is_revoked);
    assert_eq!((r1.revoked_reason, r1.revoked_at), (None, None));
    assert!(
        !tokens::refresh_by_hash(c, "r2")
            .await
            .unwrap()
            .unwrap()
            .was_rotated()
    );
    assert_eq!(
        tokens::refresh_by_hash(c, "r2")
            .await
            .unwrap()
            .unwrap()
            .authenticated_at,
        None
    );
    assert!(tokens::refresh_by_hash(c, "r3").await.unwrap().is_none());
}

#[tokio::test]
async fn a_refresh_token_is_revoked_once_and_keeps_the_first_reason_and_time() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    tokens::insert_refresh(c, alice, "r1", at(3600), None, t0())
        .await
        .unwrap();
    let id = tokens::refresh_by_hash(c, "r1").await.unwrap().unwrap().id;
    assert!(
        tokens::revoke_refresh(c, id, RevokeReason::Rotated, at(1))
            .await
            .unwrap()
    );
    assert!(
        !tokens::revoke_refresh(c, id, RevokeReason::Logout, at(2))
            .await
            .unwrap(),
        "a concurrent rotation loses"
    );
    let r = tokens::refresh_by_hash(c, "r1").await.unwrap().unwrap();
    assert!(r.is_revoked);
    assert!(r.was_rotated());
    assert_eq!(r.revoked_reason.as_deref(), Some("rotated"));
    assert_eq!(r.revoked_at, Some(at(1)));
    assert!(
        !tokens::revoke_refresh(c, unknown(), RevokeReason::Logout, at(2))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn every_revoke_reason_is_stored() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    for (i, (reason, text)) in [
        (RevokeReason::Rotated, "rotated"),
        (RevokeReason::Logout, "logout"),
        (RevokeReason::Password, "password"),
        (RevokeReason::LogoutAll, "logout_all"),
        (RevokeReason::Reuse, "reuse"),
    ]
    .into_iter()
    .enumerate()
    {
        let hash = format!("r{i}");
        tokens::insert_refresh(c, alice, &hash, at(3600), None, t0())
            .await
            .unwrap();
        let id = tokens::refresh_by_hash(c, &hash).await.unwrap().unwrap().id;
        assert!(tokens::revoke_refresh(c, id, reason, t0()).await.unwrap());
        let r = tokens::refresh_by_hash(c, &hash).await.unwrap().unwrap();
        assert_eq!(r.revoked_reason.as_deref(), Some(text));
    }
}

#[tokio::test]
async fn revoking_all_refresh_tokens_keeps_the_named_one_and_other_users_tokens() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    for (u, hash) in [(alice, "a1"), (alice, "a2"), (alice, "a3"), (bob, "b1")] {
        tokens::insert_refresh(c, u, hash, at(3600), None, t0())
            .await
            .unwrap();
    }
    let keep = tokens::refresh_by_hash(c, "a1").await.unwrap().unwrap().id;
    let a3 = tokens::refresh_by_hash(c, "a3").await.unwrap().unwrap().id;
    tokens::revoke_refresh(c, a3, RevokeReason::Rotated, t0())
        .await
        .unwrap();

    let n = tokens::revoke_all_refresh(c, alice, RevokeReason::LogoutAll, Some(keep))
        .await
        .unwrap();
    assert_eq!(n, 1, "only live tokens count");
    let get =
        async |c: &mut dbkit::Conn<'_>, h| tokens::refresh_by_hash(c, h).await.unwrap().unwrap();
    assert!(!get(c, "a1").await.is_revoked);
    let a2 = get(c, "a2").await;
    assert_eq!(
        (a2.is_revoked, a2.revoked_reason.as_deref()),
        (true, Some("logout_all"))
    );
    assert_eq!(
        get(c, "a3").await.revoked_reason.as_deref(),
        Some("rotated"),
        "an already revoked token keeps its reason"
    );
    assert!(!get(c, "b1").await.is_revoked);

    let n = tokens::revoke_all_refresh(c, alice, RevokeReason::Password, None)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(get(c, "a1").await.is_revoked);
    assert!(!get(c, "b1").await.is_revoked);
}

#[tokio::test]
async fn an_email_token_is_found_by_kind_and_hash_while_unused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    tokens::insert_email_token(c, alice, EmailTokenKind::PasswordReset, "e1", at(900), t0())
        .await
        .unwrap();
    let tok = tokens::unused_email_token(c, EmailTokenKind::PasswordReset, "e1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tok.user(), alice);
    assert_eq!(tok.expires_at, at(900));
    assert!(!tok.is_used);
    assert!(
        tokens::unused_email_token(c, EmailTokenKind::Verification, "e1")
            .await
            .unwrap()
            .is_none(),
        "a reset link does not verify an address"
    );
    assert!(
        tokens::unused_email_token(c, EmailTokenKind::PasswordReset, "e2")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_email_token_is_redeemed_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    tokens::insert_email_token(c, alice, EmailTokenKind::Verification, "e1", at(900), t0())
        .await
        .unwrap();
    let id = tokens::unused_email_token(c, EmailTokenKind::Verification, "e1")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(tokens::use_email_token(c, id).await.unwrap());
    assert!(!tokens::use_email_token(c, id).await.unwrap());
    assert!(!tokens::use_email_token(c, unknown()).await.unwrap());
    assert!(
        tokens::unused_email_token(c, EmailTokenKind::Verification, "e1")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn retiring_email_tokens_affects_only_that_user_and_kind() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    use EmailTokenKind::{PasswordReset as Reset, Verification as Verify};
    for (u, kind, hash) in [
        (alice, Verify, "av1"),
        (alice, Verify, "av2"),
        (alice, Reset, "ar1"),
        (bob, Verify, "bv1"),
    ] {
        tokens::insert_email_token(c, u, kind, hash, at(900), t0())
            .await
            .unwrap();
    }
    assert_eq!(
        tokens::retire_email_tokens(c, alice, Verify).await.unwrap(),
        2
    );
    assert_eq!(
        tokens::retire_email_tokens(c, alice, Verify).await.unwrap(),
        0
    );
    let live = async |c: &mut dbkit::Conn<'_>, kind, hash| {
        tokens::unused_email_token(c, kind, hash)
            .await
            .unwrap()
            .is_some()
    };
    assert!(!live(c, Verify, "av1").await);
    assert!(!live(c, Verify, "av2").await);
    assert!(live(c, Reset, "ar1").await);
    assert!(live(c, Verify, "bv1").await);
}

#[test]
fn email_token_kinds_round_trip_through_their_stored_names() {
    for kind in [EmailTokenKind::Verification, EmailTokenKind::PasswordReset] {
        assert_eq!(EmailTokenKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(EmailTokenKind::parse("other"), None);
}

// ---------------------------------------------------------------------------------------------
// idempotency keys

fn alive(_: &str) -> bool {
    false
}

fn gone(_: &str) -> bool {
    true
}

fn claimant(owner: &str, lease_until: dbkit::Timestamp) -> Claimant<'_> {
    Claimant {
        owner,
        lease_until,
        owner_gone: &alive,
    }
}

#[tokio::test]
async fn a_new_key_is_fresh_and_a_repeat_while_it_runs_is_in_progress() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let me = claimant("i-1", at(10));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", t0(), &me)
            .await
            .unwrap(),
        Claim::Fresh
    );
    let other = claimant("i-2", at(15));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(5), &other)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        }
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "PUT /b", at(5), &other)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        },
        "the caller compares fingerprints"
    );
}

#[tokio::test]
async fn inserting_a_claim_succeeds_once_per_user_and_key_and_leaves_the_rest_to_claim() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let me = claimant("i-1", at(10));
    assert!(
        idempotency::insert_claim(c, alice, "k", "POST /a", t0(), &me)
            .await
            .unwrap()
    );
    assert!(
        !idempotency::insert_claim(c, alice, "k", "POST /a", at(1), &me)
            .await
            .unwrap()
    );
    assert!(
        idempotency::insert_claim(c, bob, "k", "POST /a", at(1), &me)
            .await
            .unwrap(),
        "keys are per user"
    );
    let other = claimant("i-2", at(15));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(5), &other)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        }
    );
}

#[tokio::test]
async fn a_completed_key_replays_its_answer() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let me = claimant("i-1", at(10));
    idempotency::claim(c, alice, "k", "POST /a", t0(), &me)
        .await
        .unwrap();
    idempotency::complete(c, alice, "k", 201, Some("application/json"), r#"{"id":1}"#)
        .await
        .unwrap();
    let done = Claim::Done {
        fingerprint: "POST /a".into(),
        status: 201,
        content_type: Some("application/json".into()),
        body: r#"{"id":1}"#.into(),
    };
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(1), &me)
            .await
            .unwrap(),
        done
    );
    // Long after the lease, and with its owner gone, it still replays.
    let late = Claimant {
        owner: "i-9",
        lease_until: at(1000),
        owner_gone: &gone,
    };
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(900), &late)
            .await
            .unwrap(),
        done
    );
    idempotency::complete(c, alice, "k2", 204, None, "")
        .await
        .unwrap();
    assert_eq!(
        idempotency::claim(c, alice, "k2", "DELETE /b", at(1), &me)
            .await
            .unwrap(),
        Claim::Fresh,
        "completing an unknown key stores nothing"
    );
}

#[tokio::test]
async fn idempotency_keys_are_per_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let me = claimant("i-1", at(10));
    idempotency::claim(c, alice, "k", "POST /a", t0(), &me)
        .await
        .unwrap();
    assert_eq!(
        idempotency::claim(c, bob, "k", "POST /b", t0(), &me)
            .await
            .unwrap(),
        Claim::Fresh,
        "Bob's key of the same name is his own"
    );

    // Bob's calls with the key touch only his claim.
    idempotency::renew(c, bob, "k", "i-1", at(500))
        .await
        .unwrap();
    idempotency::mark_applied(c, bob, "k").await.unwrap();
    idempotency::complete(c, bob, "k", 200, None, "bob")
        .await
        .unwrap();
    assert!(!idempotency::release(c, bob, "k").await.unwrap());

    // Alice's claim is still running, unapplied, with its old lease: after it, a repeat takes over.
    let later = claimant("i-2", at(100));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(11), &later)
            .await
            .unwrap(),
        Claim::Fresh
    );
    assert!(idempotency::release(c, alice, "k").await.unwrap());
    assert!(matches!(
        idempotency::claim(c, bob, "k", "POST /b", at(11), &later)
            .await
            .unwrap(),
        Claim::Done { status: 200, .. }
    ));
}

#[tokio::test]
async fn a_claim_whose_lease_ran_out_is_taken_over_by_a_repeat_of_the_same_request() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let first = claimant("i-1", at(10));
    idempotency::claim(c, alice, "k", "POST /a", t0(), &first)
        .await
        .unwrap();
    let second = claimant("i-2", at(30));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(10), &second)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        },
        "the lease holds up to its end"
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "PUT /other", at(11), &second)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        },
        "another request never takes a key over"
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(11), &second)
            .await
            .unwrap(),
        Claim::Fresh
    );
    // The new owner's lease now holds against everyone, the old owner included.
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(20), &first)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        }
    );
}

#[tokio::test]
async fn a_claim_whose_owner_is_gone_is_taken_over_at_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    idempotency::claim(c, alice, "k", "POST /a", t0(), &claimant("dead", at(10)))
        .await
        .unwrap();
    let checks_owner = |o: &str| o == "dead";
    let me = Claimant {
        owner: "i-2",
        lease_until: at(20),
        owner_gone: &checks_owner,
    };
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(1), &me)
            .await
            .unwrap(),
        Claim::Fresh
    );
    // i-2 is alive: its claim holds.
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(2), &me)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        }
    );
}

#[tokio::test]
async fn a_claim_stored_before_leases_holds_five_minutes() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    execute!(
        c.reborrow(),
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at) VALUES ($1, 'k', 'POST /a', $2)",
        alice.uuid(),
        t0()
    )
    .unwrap();
    let me = claimant("i-1", at(400));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(300), &me)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        }
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(301), &me)
            .await
            .unwrap(),
        Claim::Fresh
    );
}

#[tokio::test]
async fn a_claim_whose_change_committed_is_never_run_again_nor_forgotten() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    idempotency::claim(c, alice, "k", "POST /a", t0(), &claimant("i-1", at(10)))
        .await
        .unwrap();
    idempotency::mark_applied(c, alice, "k").await.unwrap();
    assert!(
        !idempotency::release(c, alice, "k").await.unwrap(),
        "an applied claim is kept"
    );
    let me = claimant("i-2", at(100));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(5), &me)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        },
        "while its request may still answer"
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(11), &me)
            .await
            .unwrap(),
        Claim::Applied {
            fingerprint: "POST /a".into()
        }
    );
}

#[tokio::test]
async fn renewing_extends_the_lease_of_the_owner_only() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    idempotency::claim(c, alice, "k", "POST /a", t0(), &claimant("i-1", at(10)))
        .await
        .unwrap();
    idempotency::renew(c, alice, "k", "i-1", at(30))
        .await
        .unwrap();
    idempotency::renew(c, alice, "k", "i-other", at(1000))
        .await
        .unwrap();
    let me = claimant("i-2", at(100));
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(20), &me)
            .await
            .unwrap(),
        Claim::InProgress {
            fingerprint: "POST /a".into()
        },
        "the owner's renewal holds"
    );
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(31), &me)
            .await
            .unwrap(),
        Claim::Fresh,
        "and ends when it says, whatever another instance renewed"
    );
    // A completed claim is not renewed (nothing to hold).
    idempotency::complete(c, alice, "k", 200, None, "ok")
        .await
        .unwrap();
    idempotency::renew(c, alice, "k", "i-2", at(5000))
        .await
        .unwrap();
    assert!(matches!(
        idempotency::claim(c, alice, "k", "POST /a", at(32), &me)
            .await
            .unwrap(),
        Claim::Done { .. }
    ));
}

#[tokio::test]
async fn releasing_a_claim_lets_the_request_run_again() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let me = claimant("i-1", at(10));
    idempotency::claim(c, alice, "k", "POST /a", t0(), &me)
        .await
        .unwrap();
    assert!(idempotency::release(c, alice, "k").await.unwrap());
    assert!(!idempotency::release(c, alice, "k").await.unwrap());
    assert_eq!(
        idempotency::claim(c, alice, "k", "POST /a", at(1), &me)
            .await
            .unwrap(),
        Claim::Fresh
    );
}

#[tokio::test]
async fn purging_idempotency_keys_drops_only_older_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let me = claimant("i-1", at(1000));
    idempotency::claim(c, alice, "old", "POST /a", t0(), &me)
        .await
        .unwrap();
    idempotency::claim(c, alice, "new", "POST /a", at(10), &me)
        .await
        .unwrap();
    assert_eq!(idempotency::purge_before(c, at(10)).await.unwrap(), 1);
    assert_eq!(
        idempotency::claim(c, alice, "old", "POST /a", at(11), &me)
            .await
            .unwrap(),
        Claim::Fresh
    );
    assert!(matches!(
        idempotency::claim(c, alice, "new", "POST /a", at(11), &me)
            .await
            .unwrap(),
        Claim::InProgress { .. }
    ));
}

#[tokio::test]
async fn concurrent_claims_of_one_key_make_one_owner() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    tx.commit().await.unwrap();

    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let db = t.db.clone();
            tokio::spawn(async move {
                let owner = format!("i-{i}");
                let me = claimant(&owner, at(60));
                let mut tx = db.begin().await.unwrap();
                let claim = idempotency::claim(&mut tx.conn(), alice, "k", "POST /a", t0(), &me)
                    .await
                    .unwrap();
                tokio::time::sleep(StdDuration::from_millis(20)).await;
                tx.commit().await.unwrap();
                claim
            })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claim::Fresh => fresh += 1,
            Claim::InProgress { fingerprint } => assert_eq!(fingerprint, "POST /a"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fresh, 1);
}

// ---------------------------------------------------------------------------------------------
// mail outbox and mail requests

fn mail(user: UserId, kind: &str) -> NewMail<'_> {
    NewMail {
        user,
        kind,
        to: "someone@example.org",
        subject: "Subject",
        text: "text body",
        html: "<p>html body</p>",
        expires_at: at(3600),
    }
}

#[tokio::test]
async fn queued_mail_is_claimed_when_due_and_removed_once_sent() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = mail_outbox::enqueue(c, &mail(alice, "verification"), t0())
        .await
        .unwrap();
    assert_eq!(mail_outbox::pending(c).await.unwrap(), 1);
    assert!(
        mail_outbox::claim_due(c, "early", at(-1), at(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before it was queued"
    );
    let claimed = mail_outbox::claim_due(c, "round-1", t0(), at(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let m = &claimed[0];
    assert_eq!(m.id, id);
    assert_eq!(
        (
            m.kind.as_str(),
            m.recipient.as_str(),
            m.subject.as_str(),
            m.text_body.as_str(),
            m.html_body.as_str(),
            m.attempts
        ),
        (
            "verification",
            "someone@example.org",
            "Subject",
            "text body",
            "<p>html body</p>",
            0
        )
    );
    assert!(
        mail_outbox::claim_due(c, "round-2", at(1), at(61), 10)
            .await
            .unwrap()
            .is_empty(),
        "held by round-1"
    );
    assert!(!mail_outbox::remove(c, id, "round-2").await.unwrap());
    assert!(mail_outbox::remove(c, id, "round-1").await.unwrap());
    assert!(!mail_outbox::remove(c, id, "round-1").await.unwrap());
    assert_eq!(mail_outbox::pending(c).await.unwrap(), 0);
}

#[tokio::test]
async fn a_failed_send_is_retried_later_by_any_sender() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = mail_outbox::enqueue(c, &mail(alice, "verification"), t0())
        .await
        .unwrap();
    mail_outbox::claim_due(c, "round-1", t0(), at(60), 10)
        .await
        .unwrap();
    // A sender that no longer holds the claim records nothing.
    mail_outbox::failed(c, id, "round-x", "refused", at(1))
        .await
        .unwrap();
    mail_outbox::failed(c, id, "round-1", "relay down", at(30))
        .await
        .unwrap();
    assert!(
        mail_outbox::claim_due(c, "round-2", at(29), at(90), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = mail_outbox::claim_due(c, "round-3", at(30), at(90), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    let error: Option<String> = fetch_one!(
        c.reborrow(),
        (Option<String>,),
        "SELECT last_error FROM mail_outbox WHERE id = $1",
        id
    )
    .unwrap()
    .0;
    assert_eq!(error.as_deref(), Some("relay down"));
    assert!(!mail_outbox::remove(c, id, "round-1").await.unwrap());
    assert!(mail_outbox::remove(c, id, "round-3").await.unwrap());
}

#[tokio::test]
async fn a_lease_that_ran_out_lets_another_sender_claim_the_mail() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = mail_outbox::enqueue(c, &mail(alice, "verification"), t0())
        .await
        .unwrap();
    mail_outbox::claim_due(c, "round-1", t0(), at(60), 10)
        .await
        .unwrap();
    assert!(
        mail_outbox::claim_due(c, "round-2", at(60), at(120), 10)
            .await
            .unwrap()
            .is_empty(),
        "the lease holds up to its end"
    );
    let taken = mail_outbox::claim_due(c, "round-2", at(61), at(120), 10)
        .await
        .unwrap();
    assert_eq!(taken.iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    assert!(!mail_outbox::remove(c, id, "round-1").await.unwrap());
}

#[tokio::test]
async fn expired_mail_is_never_claimed_and_is_purged() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let mut short = mail(alice, "verification");
    short.expires_at = at(10);
    mail_outbox::enqueue(c, &short, t0()).await.unwrap();
    let mut long = mail(alice, "password_reset");
    long.expires_at = at(11);
    mail_outbox::enqueue(c, &long, t0()).await.unwrap();
    let due = mail_outbox::claim_due(c, "r", at(10), at(70), 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        vec!["password_reset"]
    );
    assert_eq!(mail_outbox::purge_expired(c, at(10)).await.unwrap(), 1);
    assert_eq!(mail_outbox::pending(c).await.unwrap(), 1);
}

#[tokio::test]
async fn a_new_mail_replaces_the_users_unsent_unheld_mail_of_its_kind_only() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    mail_outbox::enqueue(c, &mail(alice, "verification"), t0())
        .await
        .unwrap();
    mail_outbox::enqueue(c, &mail(alice, "password_reset"), t0())
        .await
        .unwrap();
    mail_outbox::enqueue(c, &mail(bob, "verification"), t0())
        .await
        .unwrap();
    let newest = mail_outbox::enqueue(c, &mail(alice, "verification"), at(1))
        .await
        .unwrap();
    assert_eq!(mail_outbox::pending(c).await.unwrap(), 3);

    // A mail a sender holds is not withdrawn from under it.
    let held = mail_outbox::claim_due(c, "round-1", at(2), at(60), 10)
        .await
        .unwrap();
    assert_eq!(held.len(), 3);
    assert!(held.iter().any(|m| m.id == newest));
    mail_outbox::enqueue(c, &mail(alice, "verification"), at(3))
        .await
        .unwrap();
    assert_eq!(mail_outbox::pending(c).await.unwrap(), 4);
    assert!(mail_outbox::remove(c, newest, "round-1").await.unwrap());
}

#[tokio::test]
async fn claiming_takes_at_most_the_limit_the_longest_due_first() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let mut ids = Vec::new();
    for i in 0..5 {
        let u = user(c, &format!("u{i}@example.org")).await;
        ids.push(
            mail_outbox::enqueue(c, &mail(u, "verification"), at(10 - i))
                .await
                .unwrap(),
        );
    }
    let first = mail_outbox::claim_due(c, "r1", at(20), at(80), 2)
        .await
        .unwrap();
    let mut got: Vec<Uuid> = first.iter().map(|m| m.id).collect();
    got.sort();
    let mut want = vec![ids[4], ids[3]];
    want.sort();
    assert_eq!(got, want);
    let rest = mail_outbox::claim_due(c, "r2", at(20), at(80), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 3);
}

#[tokio::test]
async fn two_senders_never_claim_the_same_mail() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    for kind in ["a", "b", "c"] {
        mail_outbox::enqueue(&mut tx.conn(), &mail(alice, kind), t0())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut first = t.db.begin().await.unwrap();
    let mine = mail_outbox::claim_due(&mut first.conn(), "r1", at(1), at(60), 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    let db = t.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let got = mail_outbox::claim_due(&mut tx.conn(), "r2", at(1), at(60), 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        got
    });
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    first.commit().await.unwrap();
    assert!(second.await.unwrap().is_empty());
}

#[tokio::test]
async fn mail_requests_are_taken_oldest_first_and_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    mail_outbox::request_by_address(c, EmailTokenKind::PasswordReset, "b@example.org", at(2))
        .await
        .unwrap();
    mail_outbox::request_by_address(c, EmailTokenKind::Verification, "a@example.org", at(1))
        .await
        .unwrap();
    assert_eq!(
        mail_outbox::take_request(c).await.unwrap(),
        Some((EmailTokenKind::Verification, "a@example.org".into()))
    );
    assert_eq!(
        mail_outbox::take_request(c).await.unwrap(),
        Some((EmailTokenKind::PasswordReset, "b@example.org".into()))
    );
    assert_eq!(mail_outbox::take_request(c).await.unwrap(), None);
}

#[tokio::test]
async fn purging_mail_requests_drops_only_older_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    for secs in [0, 10] {
        mail_outbox::request_by_address(c, EmailTokenKind::Verification, "a@example.org", at(secs))
            .await
            .unwrap();
    }
    assert_eq!(
        mail_outbox::purge_requests_before(c, at(10)).await.unwrap(),
        1
    );
    assert!(mail_outbox::take_request(c).await.unwrap().is_some());
    assert!(mail_outbox::take_request(c).await.unwrap().is_none());
}

#[test]
fn store_errors_say_whether_they_are_a_unique_violation() {
    assert!(StoreError::Integrity(ConstraintKind::Unique).is_unique_violation());
    assert!(!StoreError::Integrity(ConstraintKind::ForeignKey).is_unique_violation());
    assert!(!StoreError::NotFound.is_unique_violation());
}
