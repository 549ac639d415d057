//! `ai_usage`: one row per answered model call, for the user who made it.

use dbkit::{ConstraintKind, Timestamp, fetch_all};
use mealframe_core::ids::UserId;
use mealframe_store::ai_usage::{self, Usage};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn an_answered_call_is_recorded_for_its_user_with_tokens_and_cost() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let priced = Usage {
        model: "gpt-4o-mini",
        tokens_prompt: 1200,
        tokens_completion: 80,
        cost_micro_usd: Some(228),
    };
    ai_usage::record(c, alice, &priced, t0()).await.unwrap();
    let unpriced = Usage {
        model: "some-new-model",
        tokens_prompt: 10,
        tokens_completion: 0,
        cost_micro_usd: None,
    };
    ai_usage::record(c, bob, &unpriced, at(1)).await.unwrap();

    let rows = fetch_all!(
        c.reborrow(),
        (
            Uuid,
            String,
            Option<i32>,
            Option<i32>,
            Option<i64>,
            Timestamp
        ),
        "SELECT user_id, model, tokens_prompt, tokens_completion, cost_micro_usd, created_at
         FROM openai_usage ORDER BY created_at"
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                alice.uuid(),
                "gpt-4o-mini".to_owned(),
                Some(1200),
                Some(80),
                Some(228),
                t0()
            ),
            (
                bob.uuid(),
                "some-new-model".to_owned(),
                Some(10),
                Some(0),
                None,
                at(1)
            ),
        ]
    );
}

#[tokio::test]
async fn usage_of_an_unknown_user_is_a_foreign_key_violation() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let nobody: UserId = unknown();
    let r = ai_usage::record(
        &mut tx.conn(),
        nobody,
        &Usage {
            model: "m",
            tokens_prompt: 1,
            tokens_completion: 1,
            cost_micro_usd: None,
        },
        t0(),
    )
    .await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
}

#[tokio::test]
async fn totals_add_up_per_user_and_period_costliest_first() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let call = |cost: Option<i64>| Usage {
        model: "gpt-4o",
        tokens_prompt: 1000,
        tokens_completion: 100,
        cost_micro_usd: cost,
    };
    ai_usage::record(c, alice, &call(Some(6500)), at(0))
        .await
        .unwrap();
    ai_usage::record(c, alice, &call(None), at(10))
        .await
        .unwrap();
    ai_usage::record(c, bob, &call(Some(9000)), at(10))
        .await
        .unwrap();
    ai_usage::record(c, bob, &call(Some(1)), at(100))
        .await
        .unwrap();

    let a = ai_usage::totals_for(c, alice, at(0)).await.unwrap();
    assert_eq!(
        a,
        ai_usage::Totals {
            calls: 2,
            tokens_prompt: 2000,
            tokens_completion: 200,
            cost_micro_usd: 6500
        }
    );
    assert_eq!(
        ai_usage::totals_for(c, alice, at(11)).await.unwrap().calls,
        0
    );
    let all = ai_usage::totals_by_user(c, at(0), at(100)).await.unwrap();
    let order: Vec<(UserId, i64)> = all.iter().map(|(u, _, t)| (*u, t.cost_micro_usd)).collect();
    assert_eq!(
        order,
        vec![(bob, 9000), (alice, 6500)],
        "the call at 100 is outside"
    );
    assert_eq!(all[0].1, "bob@example.org");
}
