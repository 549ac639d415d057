//! `plans::grocery`: the planned portions of a range (reassigned, ad-hoc and "No Plan" days as
//! the plan has them), and the stored state of a list and of a user's ingredient decisions.

use mealframe_core::{ids::GroceryExtraId, planning::completion::CompletionStatus};
use mealframe_store::plans::{
    grocery::{self, ItemMark, Preference},
    ops,
};

use crate::support::*;

#[tokio::test]
async fn planned_portions_follow_the_plan_as_changed() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let l = &w.lib;

    let names = |p: &[grocery::PlannedPortion]| {
        p.iter()
            .map(|p| (p.date, p.meal_name.clone()))
            .collect::<Vec<_>>()
    };
    let all = grocery::planned_portions(c, alice, day(0), day(2))
        .await
        .unwrap();
    assert_eq!(
        names(&all),
        [
            (day(0), "Oats".to_owned()),
            (day(0), "Salad".to_owned()),
            (day(1), "Eggs".to_owned()),
            (day(1), "Soup".to_owned()),
            (day(2), "Oats".to_owned()),
            (day(2), "Wrap".to_owned()),
        ]
    );
    assert_eq!(all[0].portion, "1 portion of Oats");

    // Reassigned Tuesday lunch, No Plan Wednesday with an ad-hoc meal, a marked Monday breakfast.
    let tue = slot_ids(c, alice, day(1)).await;
    ops::reassign(c, alice, tue[1], l.salad, None, day(0))
        .await
        .unwrap();
    ops::set_override(c, alice, day(2), None, at(1))
        .await
        .unwrap();
    ops::add_adhoc(c, alice, day(2), l.eggs, at(2))
        .await
        .unwrap();
    let mon = slot_ids(c, alice, day(0)).await;
    ops::complete(c, alice, mon[0], CompletionStatus::Followed, None, at(3))
        .await
        .unwrap();

    let all = grocery::planned_portions(c, alice, day(0), day(2))
        .await
        .unwrap();
    assert_eq!(
        names(&all),
        [
            (day(0), "Oats".to_owned()),
            (day(0), "Salad".to_owned()),
            (day(1), "Eggs".to_owned()),
            (day(1), "Salad".to_owned()),
            (day(2), "Eggs".to_owned()),
        ]
    );
    assert_eq!(all[0].status, Some(CompletionStatus::Followed));
    assert!(all[4].is_adhoc);

    // Ranges across weeks and beyond what is generated; other users see nothing.
    let bob = user(c, "bob@example.org").await;
    assert!(
        grocery::planned_portions(c, bob, day(0), day(6))
            .await
            .unwrap()
            .is_empty()
    );
    let late = grocery::planned_portions(c, alice, day(4), day(20))
        .await
        .unwrap();
    assert_eq!(
        names(&late),
        [(day(4), "Oats".into()), (day(4), "Soup".into())]
    );
    assert_eq!(
        grocery::generated_weeks(c, alice, day(3), day(20))
            .await
            .unwrap(),
        [day(0)]
    );
    assert!(
        grocery::generated_weeks(c, alice, day(7), day(20))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        grocery::generated_weeks(c, bob, day(0), day(6))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_lists_marks_extras_and_seen_state_are_stored_per_user_and_trip() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;

    assert_eq!(grocery::list(c, alice, day(6)).await.unwrap(), None);
    let list = grocery::touch(c, alice, day(6), at(1)).await.unwrap();
    assert_eq!(
        grocery::touch(c, alice, day(6), at(2)).await.unwrap(),
        list,
        "one list per trip"
    );
    assert_ne!(grocery::touch(c, bob, day(6), at(2)).await.unwrap(), list);

    grocery::set_item(c, alice, list, "oats|g", Some("300/1"), false)
        .await
        .unwrap();
    grocery::set_item(c, alice, list, "rice|g", None, true)
        .await
        .unwrap();
    grocery::set_item(c, alice, list, "egg|piece", Some("6/1"), false)
        .await
        .unwrap();
    grocery::set_item(c, alice, list, "egg|piece", None, false)
        .await
        .unwrap();
    // Bob cannot write into Alice's list.
    grocery::set_item(c, bob, list, "milk|ml", Some("1/1"), false)
        .await
        .unwrap();
    assert!(
        grocery::set_seen(c, alice, list, "oats|g\t300/1\toats\t300 g")
            .await
            .unwrap()
    );
    assert!(!grocery::set_seen(c, bob, list, "x").await.unwrap());

    let milk = grocery::add_extra(c, alice, list, "Oat milk", at(3))
        .await
        .unwrap()
        .unwrap();
    let soap = grocery::add_extra(c, alice, list, "Soap", at(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        grocery::add_extra(c, bob, list, "Bob's", at(4))
            .await
            .unwrap(),
        None
    );
    assert!(
        grocery::set_extra_checked(c, alice, list, milk.id, true)
            .await
            .unwrap()
    );
    assert!(
        !grocery::set_extra_checked(c, bob, list, milk.id, false)
            .await
            .unwrap()
    );
    assert!(!grocery::delete_extra(c, bob, list, soap.id).await.unwrap());
    assert!(
        !grocery::delete_extra(c, alice, list, unknown::<GroceryExtraId>())
            .await
            .unwrap()
    );

    let state = grocery::list(c, alice, day(6)).await.unwrap().unwrap();
    assert_eq!(state.id, list);
    assert_eq!(state.to, day(6));
    assert_eq!(state.updated_at, at(2));
    assert_eq!(state.seen, "oats|g\t300/1\toats\t300 g");
    assert_eq!(
        state.items,
        [
            ItemMark {
                key: "oats|g".into(),
                checked_amount: Some("300/1".into()),
                removed: false
            },
            ItemMark {
                key: "rice|g".into(),
                checked_amount: None,
                removed: true
            },
        ]
    );
    let extras: Vec<(&str, bool)> = state
        .extras
        .iter()
        .map(|e| (e.name.as_str(), e.checked))
        .collect();
    assert_eq!(extras, [("Oat milk", true), ("Soap", false)]);
    assert!(
        grocery::delete_extra(c, alice, list, soap.id)
            .await
            .unwrap()
    );

    // Trips that ended are forgotten, with everything in them; nobody else's.
    grocery::touch(c, alice, day(13), at(5)).await.unwrap();
    assert_eq!(
        grocery::delete_lists_before(c, alice, day(7))
            .await
            .unwrap(),
        1
    );
    assert_eq!(grocery::list(c, alice, day(6)).await.unwrap(), None);
    assert!(grocery::list(c, alice, day(13)).await.unwrap().is_some());
    assert!(grocery::list(c, bob, day(6)).await.unwrap().is_some());
    assert_eq!(count(c, "SELECT COUNT(*) FROM grocery_extras").await, 0);
    assert_eq!(count(c, "SELECT COUNT(*) FROM grocery_list_items").await, 0);
}

#[tokio::test]
async fn ingredient_decisions_are_per_user_and_clearing_both_forgets_them() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let tofu = Preference {
        ingredient: "tofu".into(),
        category: Some("meat_fish".into()),
        staple: None,
    };
    grocery::set_preference(c, alice, &tofu).await.unwrap();
    let salt = Preference {
        ingredient: "salt".into(),
        category: None,
        staple: Some(false),
    };
    grocery::set_preference(c, alice, &salt).await.unwrap();
    let tofu2 = Preference {
        staple: Some(true),
        ..tofu.clone()
    };
    grocery::set_preference(c, alice, &tofu2).await.unwrap();
    assert_eq!(
        grocery::preferences(c, alice).await.unwrap(),
        [salt.clone(), tofu2]
    );
    assert!(grocery::preferences(c, bob).await.unwrap().is_empty());

    let cleared = Preference {
        ingredient: "salt".into(),
        category: None,
        staple: None,
    };
    grocery::set_preference(c, alice, &cleared).await.unwrap();
    assert_eq!(grocery::preferences(c, alice).await.unwrap().len(), 1);
}

#[tokio::test]
async fn ai_lines_are_queued_once_claimed_by_one_reader_and_finished() {
    use mealframe_store::plans::grocery::AiStatus;
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;

    assert_eq!(
        grocery::queue_ai_lines(c, alice, &["a bowl of chili", "leftovers"], at(0))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        grocery::queue_ai_lines(c, alice, &["leftovers"], at(1))
            .await
            .unwrap(),
        0,
        "a line is queued once"
    );
    grocery::queue_ai_lines(c, bob, &["leftovers"], at(2))
        .await
        .unwrap();

    let first = grocery::claim_ai_lines(c, "r1", at(10), at(130), 2)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|l| l.user == alice && l.attempts == 0));
    let second = grocery::claim_ai_lines(c, "r2", at(10), at(130), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "what r1 holds is not claimed again");
    assert_eq!(second[0].user, bob);

    assert!(
        grocery::finish_ai_line(
            c,
            alice,
            "a bowl of chili",
            "r1",
            AiStatus::Done,
            Some("300 g chili"),
            at(11)
        )
        .await
        .unwrap()
    );
    assert!(
        !grocery::finish_ai_line(
            c,
            alice,
            "leftovers",
            "r2",
            AiStatus::Done,
            Some(""),
            at(11)
        )
        .await
        .unwrap(),
        "not r2's claim"
    );
    grocery::finish_ai_line(c, alice, "leftovers", "r1", AiStatus::Waiting, None, at(60))
        .await
        .unwrap();
    assert!(
        grocery::claim_ai_lines(c, "r3", at(30), at(150), 10)
            .await
            .unwrap()
            .is_empty(),
        "retry not due"
    );
    let again = grocery::claim_ai_lines(c, "r3", at(61), at(181), 10)
        .await
        .unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    grocery::finish_ai_line(c, alice, "leftovers", "r3", AiStatus::Failed, None, at(62))
        .await
        .unwrap();

    let lines = grocery::ai_lines(c, alice).await.unwrap();
    let got: Vec<(&str, AiStatus, Option<&str>)> = lines
        .iter()
        .map(|l| (l.line.as_str(), l.status, l.reading.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("a bowl of chili", AiStatus::Done, Some("300 g chili")),
            ("leftovers", AiStatus::Failed, None)
        ]
    );
    assert_eq!(
        grocery::ai_lines(c, bob).await.unwrap()[0].status,
        AiStatus::Waiting
    );
}
