//! Issue 12: capture jobs (`capture_jobs`) and the processing state of captured meals
//! (`library::meals::{set_processing, fill_estimate}`): a claim is exclusive while its lease
//! runs, ends only by its holder, and is taken over once the lease is over; inputs are dropped
//! when a job ends; everything is scoped to the user.

use mealframe_core::{planning::macros::Macros, tenths::Tenths};
use mealframe_store::{
    capture_jobs::{self, Kind, NewJob},
    library::meals::{self, Estimate, Source},
};

use crate::support::*;

fn photo(meal: mealframe_core::ids::MealId) -> NewJob<'static> {
    NewJob {
        meal,
        kind: Kind::Image,
        input: Some(b"\xFF\xD8\xFFjpeg"),
        input_mime: Some("image/jpeg"),
        input_text: None,
    }
}

#[tokio::test]
async fn a_claim_is_exclusive_until_its_lease_ends_and_only_its_holder_ends_it() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let m = meal(c, alice, "Photo meal", &[], at(0)).await;
    let job = capture_jobs::enqueue(c, alice, &photo(m), at(0))
        .await
        .unwrap();
    assert_eq!(capture_jobs::queued(c).await.unwrap(), 1);

    let first = capture_jobs::claim_due(c, "one", at(1), at(181), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, job);
    assert_eq!(first[0].input.as_deref(), Some(&b"\xFF\xD8\xFFjpeg"[..]));
    assert_eq!(first[0].attempts, 0);
    // Held: nobody else gets it while the lease runs.
    assert!(
        capture_jobs::claim_due(c, "two", at(100), at(280), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The lease ran out (a crash): another worker takes it, and the first one's writes miss.
    let second = capture_jobs::claim_due(c, "two", at(200), at(380), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert!(!capture_jobs::finish(c, job, "one", at(201)).await.unwrap());
    assert!(
        !capture_jobs::fail(c, job, "one", "timeout", at(201))
            .await
            .unwrap()
    );
    assert!(
        !capture_jobs::retry_later(c, job, "one", "timeout", at(300))
            .await
            .unwrap()
    );
    assert!(capture_jobs::finish(c, job, "two", at(202)).await.unwrap());
    assert_eq!(
        capture_jobs::state_of(c, alice, m)
            .await
            .unwrap()
            .as_deref(),
        Some("done")
    );
    assert_eq!(
        capture_jobs::bytes_held(c, alice).await.unwrap(),
        0,
        "the photo is dropped"
    );
    assert_eq!(capture_jobs::queued(c).await.unwrap(), 0);
    // Done is final.
    assert!(
        capture_jobs::claim_due(c, "three", at(10_000), at(10_180), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_retry_waits_for_its_time_and_a_failed_job_keeps_its_input_until_requeued() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let m = meal(c, alice, "Photo meal", &[], at(0)).await;
    let job = capture_jobs::enqueue(c, alice, &photo(m), at(0))
        .await
        .unwrap();
    capture_jobs::claim_due(c, "a", at(0), at(180), 1)
        .await
        .unwrap();
    assert!(
        capture_jobs::retry_later(c, job, "a", "unreachable", at(60))
            .await
            .unwrap()
    );
    assert!(
        capture_jobs::claim_due(c, "b", at(59), at(239), 1)
            .await
            .unwrap()
            .is_empty()
    );
    let again = capture_jobs::claim_due(c, "b", at(60), at(240), 1)
        .await
        .unwrap();
    assert_eq!(again[0].attempts, 1);
    assert!(
        capture_jobs::fail(c, job, "b", "unreachable", at(61))
            .await
            .unwrap()
    );
    assert_eq!(
        capture_jobs::state_of(c, alice, m)
            .await
            .unwrap()
            .as_deref(),
        Some("failed")
    );
    assert_eq!(
        capture_jobs::bytes_held(c, alice).await.unwrap(),
        1,
        "kept for a retry"
    );
    assert!(
        capture_jobs::claim_due(c, "c", at(10_000), at(10_180), 1)
            .await
            .unwrap()
            .is_empty()
    );

    // Another user's id behaves like an unknown one.
    assert_eq!(capture_jobs::state_of(c, bob, m).await.unwrap(), None);
    assert!(
        !capture_jobs::requeue_failed(c, bob, m, at(70))
            .await
            .unwrap()
    );
    assert!(
        capture_jobs::requeue_failed(c, alice, m, at(70))
            .await
            .unwrap()
    );
    assert!(
        !capture_jobs::requeue_failed(c, alice, m, at(71))
            .await
            .unwrap(),
        "queued, not failed"
    );
    let requeued = capture_jobs::claim_due(c, "d", at(70), at(250), 1)
        .await
        .unwrap();
    assert_eq!(requeued[0].attempts, 0);
}

#[tokio::test]
async fn a_transcript_replaces_the_recording_and_counts_are_per_user_and_time() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let m = meal(c, alice, "Voice note meal", &[], at(0)).await;
    let job = capture_jobs::enqueue(
        c,
        alice,
        &NewJob {
            meal: m,
            kind: Kind::Audio,
            input: Some(b"OggS..."),
            input_mime: Some("audio/ogg"),
            input_text: None,
        },
        at(10),
    )
    .await
    .unwrap();
    capture_jobs::claim_due(c, "a", at(10), at(190), 1)
        .await
        .unwrap();
    assert!(
        !capture_jobs::save_transcript(c, job, "other", "two eggs")
            .await
            .unwrap()
    );
    assert!(
        capture_jobs::save_transcript(c, job, "a", "two eggs")
            .await
            .unwrap()
    );
    assert_eq!(
        capture_jobs::bytes_held(c, alice).await.unwrap(),
        0,
        "the audio is gone"
    );
    let m2 = meal(c, alice, "Described meal", &[], at(20)).await;
    capture_jobs::enqueue(
        c,
        alice,
        &NewJob {
            meal: m2,
            kind: Kind::Text,
            input: None,
            input_mime: None,
            input_text: Some("toast"),
        },
        at(20),
    )
    .await
    .unwrap();
    assert_eq!(capture_jobs::count_since(c, alice, at(0)).await.unwrap(), 2);
    assert_eq!(
        capture_jobs::count_since(c, alice, at(15)).await.unwrap(),
        1
    );
    assert_eq!(capture_jobs::count_since(c, bob, at(0)).await.unwrap(), 0);
    // A deleted meal takes its job with it.
    meals::delete(c, alice, m2).await.unwrap();
    assert_eq!(
        capture_jobs::count_since(c, alice, at(15)).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn a_captured_meal_is_filled_in_once_and_only_for_its_owner() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lunch = meal_type(c, alice, "Lunch").await;
    let mut new = new_meal("Photo meal", &[]);
    new.source = Source::AdHocImage;
    let m = meals::insert(c, alice, &new, at(0)).await.unwrap();
    assert!(
        meals::set_processing(c, alice, m, "processing", None, at(1))
            .await
            .unwrap()
    );
    assert!(
        !meals::set_processing(c, bob, m, "failed", Some("no"), at(1))
            .await
            .unwrap()
    );
    let got = meals::get(c, alice, m).await.unwrap().unwrap();
    assert_eq!(
        (got.source.as_str(), got.processing_status.as_str()),
        ("ad_hoc_image", "processing")
    );

    let estimate = Estimate {
        name: "Chicken bowl".into(),
        portion_description: "150 g chicken + 150 g rice".into(),
        macros: Macros {
            calories_kcal: Some(540),
            protein: Some(Tenths::from_db(453)),
            ..Macros::default()
        },
        confidence_pct: 86,
        ai_model_version: "gpt-4o".into(),
        identified_items: r#"[{"name":"chicken","estimated_quantity":"150 g"}]"#.into(),
        meal_type: Some(lunch),
    };
    assert!(
        !meals::fill_estimate(c, bob, m, &estimate, at(2))
            .await
            .unwrap()
    );
    assert!(
        meals::fill_estimate(c, alice, m, &estimate, at(2))
            .await
            .unwrap()
    );
    let got = meals::get(c, alice, m).await.unwrap().unwrap();
    assert_eq!(got.name, "Chicken bowl");
    assert_eq!(got.processing_status, "completed");
    assert_eq!(got.processing_error, None);
    assert_eq!(got.confidence_pct, Some(86));
    assert_eq!(got.macros.protein, Some(Tenths::from_db(453)));
    assert_eq!(got.meal_types.len(), 1);
    assert!(got.identified_items.unwrap().contains("chicken"));
    // Found by a search on its new name.
    let (found, _) = meals::list(
        c,
        alice,
        &meals::Filter {
            search: Some("chicken"),
            ..Default::default()
        },
        meals::Order::Name,
        1,
        20,
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1);

    assert!(
        meals::set_processing(
            c,
            alice,
            m,
            "failed",
            Some("No food was recognised."),
            at(3)
        )
        .await
        .unwrap()
    );
    let got = meals::get(c, alice, m).await.unwrap().unwrap();
    assert_eq!(
        got.processing_error.as_deref(),
        Some("No food was recognised.")
    );
}

#[tokio::test]
async fn the_capture_sources_and_states_are_checked_on_both_engines() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let m = meal(c, alice, "Oats", &[], at(0)).await;
    let err = meals::set_processing(c, alice, m, "pending", None, at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            mealframe_store::StoreError::Integrity(dbkit::ConstraintKind::Check)
        ),
        "{err:?}"
    );
    for s in [Source::AdHocImage, Source::AdHocVoice, Source::AdHocText] {
        assert_eq!(Source::parse(s.as_str()), Some(s));
    }
}

#[tokio::test]
async fn photo_keys_are_per_user_and_the_retention_query_sees_only_old_ones() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let old = meal(c, alice, "Old", &[], at(0)).await;
    let new = meal(c, alice, "New", &[], at(100)).await;
    let bobs = meal(c, bob, "Bob's", &[], at(0)).await;
    assert!(
        meals::set_photo(c, alice, old, Some("a/old.jpg"))
            .await
            .unwrap()
    );
    assert!(
        meals::set_photo(c, alice, new, Some("a/new.jpg"))
            .await
            .unwrap()
    );
    assert!(
        !meals::set_photo(c, bob, old, Some("b/steal.jpg"))
            .await
            .unwrap()
    );
    assert!(
        meals::set_photo(c, bob, bobs, Some("b/bobs.jpg"))
            .await
            .unwrap()
    );
    assert_eq!(
        meals::photo_keys(c, alice).await.unwrap(),
        vec!["a/new.jpg", "a/old.jpg"]
    );
    let due = meals::photos_before(c, at(50), 10).await.unwrap();
    let keys: Vec<&str> = due.iter().map(|d| d.2.as_str()).collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&"a/old.jpg") && keys.contains(&"b/bobs.jpg"));
    assert!(meals::set_photo(c, alice, old, None).await.unwrap());
    assert_eq!(
        meals::get(c, alice, old).await.unwrap().unwrap().photo_key,
        None
    );
    assert_eq!(meals::photos_before(c, at(50), 10).await.unwrap().len(), 1);
}
