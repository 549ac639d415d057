//! `library::*`: the setup checklist, meal types, meals, day templates and week plans.

use dbkit::{Conn, ConstraintKind, execute};
use mealframe_core::{
    ids::{DayTemplateId, MealId, MealTypeId, WeekPlanId},
    planning::{completion::CompletionStatus, generation::TemplateSlot, macros::Macros},
    tenths::Tenths,
};
use mealframe_store::{
    Rejection,
    library::{
        self, SetupProgress,
        day_templates::{self, TemplateChange},
        meal_types,
        meals::{self, Filter, MealChange, Order, Source},
        week_plans,
    },
    plans::{ops, rotation, views},
};

use crate::support::*;

fn dg(v: i32) -> Option<Tenths> {
    Some(Tenths::from_db(v))
}

fn full_macros() -> Macros {
    Macros {
        calories_kcal: Some(420),
        protein: dg(185),
        carbs: dg(520),
        sugar: dg(64),
        fat: dg(121),
        saturated_fat: dg(33),
        fiber: dg(78),
    }
}

// ---------------------------------------------------------------------------------------------
// the setup checklist

#[tokio::test]
async fn setup_progress_counts_only_the_users_own_library() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    assert_eq!(
        library::progress(c, alice).await.unwrap(),
        SetupProgress::default()
    );
    generated_week(c, alice).await;
    assert_eq!(
        library::progress(c, alice).await.unwrap(),
        SetupProgress {
            meal_types: 2,
            meals: 5,
            templates: 1,
            default_plan: true,
            weeks: 1
        }
    );
    assert_eq!(
        library::progress(c, bob).await.unwrap(),
        SetupProgress::default()
    );
    // A plan that is not the default does not tick the box.
    let bt = meal_type(c, bob, "Snack").await;
    let tmpl = template(c, bob, "Day", &[bt]).await;
    let plan = week_plan(c, bob, "Plan", &[(0, tmpl)]).await;
    week_plans::update(c, bob, plan, None, Some(false), None, t0())
        .await
        .unwrap();
    assert!(!library::progress(c, bob).await.unwrap().default_plan);
}

// ---------------------------------------------------------------------------------------------
// meal types

#[tokio::test]
async fn a_new_meal_type_is_returned_with_its_fields() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let tags = vec!["morning".to_owned(), "quick".to_owned()];
    let mt = meal_types::insert(c, alice, "Breakfast", Some("First meal"), &tags, t0())
        .await
        .unwrap();
    assert_eq!(mt.name, "Breakfast");
    assert_eq!(mt.description.as_deref(), Some("First meal"));
    assert_eq!(mt.tags, tags);
    assert_eq!((mt.created_at, mt.updated_at), (t0(), t0()));
    assert_eq!(mt.meal_count, 0);
    let got = meal_types::get(c, alice, mt.id).await.unwrap().unwrap();
    assert_eq!(
        (got.id, got.name, got.description, got.tags),
        (mt.id, mt.name, mt.description, mt.tags)
    );
    let bare = meal_types::insert(c, alice, "Snack", None, &[], t0())
        .await
        .unwrap();
    assert_eq!(bare.description, None);
    assert!(bare.tags.is_empty());
}

#[tokio::test]
async fn meal_types_are_listed_by_name_with_the_number_of_meals_linked() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    let snack = meal_type(c, alice, "Afternoon snack").await;
    meal(c, alice, "Brunch plate", &[lib.breakfast, lib.lunch], at(9)).await;
    meal_type(c, bob, "Bob's type").await;

    let listed: Vec<(MealTypeId, String, i64)> = meal_types::list(c, alice)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.id, t.name, t.meal_count))
        .collect();
    assert_eq!(
        listed,
        vec![
            (snack, "Afternoon snack".into(), 0),
            (lib.breakfast, "Breakfast".into(), 3),
            (lib.lunch, "Lunch".into(), 4),
        ]
    );
    assert_eq!(
        meal_types::names(c, alice).await.unwrap(),
        vec![
            (snack, "Afternoon snack".into()),
            (lib.breakfast, "Breakfast".into()),
            (lib.lunch, "Lunch".into()),
        ]
    );
    assert_eq!(meal_types::list(c, bob).await.unwrap().len(), 1);
    assert_eq!(meal_types::names(c, bob).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_meal_type_name_is_unique_per_user() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    meal_type(c, alice, "Breakfast").await;
    let lunch = meal_type(c, alice, "Lunch").await;
    meal_type(c, bob, "Breakfast").await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let r = meal_types::insert(&mut tx.conn(), alice, "Breakfast", None, &[], t0()).await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = meal_types::update(
        &mut tx.conn(),
        alice,
        lunch,
        Some("Breakfast"),
        None,
        None,
        t0(),
    )
    .await;
    assert!(r.unwrap_err().is_unique_violation());
}

#[tokio::test]
async fn a_meal_type_name_has_1_to_255_characters() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let longest = "é".repeat(255);
    meal_types::insert(&mut tx.conn(), alice, &longest, None, &[], t0())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for bad in [String::new(), "x".repeat(256)] {
        let mut tx = t.db.begin().await.unwrap();
        let r = meal_types::insert(&mut tx.conn(), alice, &bad, None, &[], t0()).await;
        assert_eq!(integrity(r), ConstraintKind::Check, "{} chars", bad.len());
    }
}

#[tokio::test]
async fn updating_a_meal_type_changes_only_the_given_fields() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let tags = vec!["a".to_owned()];
    let id = meal_types::insert(c, alice, "Breakfast", Some("desc"), &tags, t0())
        .await
        .unwrap()
        .id;

    let mt = meal_types::update(c, alice, id, Some("Morning"), None, None, at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (mt.name.as_str(), mt.description.as_deref(), &mt.tags),
        ("Morning", Some("desc"), &tags)
    );
    assert_eq!((mt.created_at, mt.updated_at), (t0(), at(1)));

    let new_tags = vec!["b".to_owned(), "c".to_owned()];
    let mt = meal_types::update(c, alice, id, None, Some("new desc"), Some(&new_tags), at(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (mt.name.as_str(), mt.description.as_deref(), &mt.tags),
        ("Morning", Some("new desc"), &new_tags)
    );

    let mt = meal_types::update(c, alice, id, None, None, Some(&[]), at(3))
        .await
        .unwrap()
        .unwrap();
    assert!(mt.tags.is_empty());
    assert_eq!(mt.description.as_deref(), Some("new desc"));
}

#[tokio::test]
async fn a_meal_type_of_another_user_is_not_found() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    let spare = meal_type(c, alice, "Spare").await;

    assert!(
        meal_types::get(c, bob, lib.breakfast)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        meal_types::update(
            c,
            bob,
            lib.breakfast,
            Some("Hacked"),
            Some("x"),
            None,
            at(1)
        )
        .await
        .unwrap()
        .is_none()
    );
    assert!(
        !meal_types::used_by_templates(c, bob, lib.breakfast)
            .await
            .unwrap(),
        "Alice's template is not Bob's business"
    );
    assert!(!meal_types::delete(c, bob, spare).await.unwrap());
    assert!(meal_types::list(c, bob).await.unwrap().is_empty());
    assert!(meal_types::names(c, bob).await.unwrap().is_empty());

    let mt = meal_types::get(c, alice, lib.breakfast)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((mt.name.as_str(), mt.updated_at), ("Breakfast", t0()));
    assert!(meal_types::get(c, alice, spare).await.unwrap().is_some());
    assert!(
        meal_types::get(c, alice, unknown())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn deleting_a_meal_type_used_by_a_template_is_refused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let spare = meal_type(c, alice, "Spare").await;
    assert!(
        meal_types::used_by_templates(c, alice, lib.breakfast)
            .await
            .unwrap()
    );
    assert!(
        !meal_types::used_by_templates(c, alice, spare)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let r = meal_types::delete(&mut tx.conn(), alice, lib.breakfast).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
    drop(tx);

    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    assert!(
        meal_types::get(c, alice, lib.breakfast)
            .await
            .unwrap()
            .is_some()
    );
    assert!(meal_types::delete(c, alice, spare).await.unwrap());
    assert!(!meal_types::delete(c, alice, spare).await.unwrap());
}

#[tokio::test]
async fn deleting_a_meal_type_unlinks_its_meals_forgets_its_rotation_and_keeps_generated_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let lib = &w.lib;
    // Free breakfast from the template first.
    day_templates::update(
        c,
        alice,
        lib.workday,
        &TemplateChange {
            slots: Some(vec![TemplateSlot {
                position: 1,
                meal_type: lib.lunch,
                time: None,
            }]),
            ..Default::default()
        },
        at(1),
    )
    .await
    .unwrap();
    assert!(meal_types::delete(c, alice, lib.breakfast).await.unwrap());

    let oats = meals::get(c, alice, lib.oats).await.unwrap().unwrap();
    assert!(oats.meal_types.is_empty(), "the meal stays, unlinked");
    assert!(
        rotation::load(c, alice)
            .await
            .unwrap()
            .peek(lib.breakfast)
            .is_none()
    );
    let states = count(c, "SELECT COUNT(*) FROM round_robin_states").await;
    assert_eq!(states, 1, "only lunch's state is left");
    let monday = slots_of(c, alice, MONDAY).await;
    assert_eq!(monday.len(), 2);
    assert_eq!(monday[0].meal_type, None);
    assert_eq!(monday[0].meal.as_ref().map(|m| m.id), Some(lib.oats));
}

// ---------------------------------------------------------------------------------------------
// meals

#[tokio::test]
async fn a_new_meal_is_returned_with_all_its_fields_and_types_by_name() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lunch = meal_type(c, alice, "Lunch").await;
    let breakfast = meal_type(c, alice, "Breakfast").await;
    let id = meals::insert(
        c,
        alice,
        &meals::NewMeal {
            name: "Overnight Oats".into(),
            portion_description: "80 g oats, 200 ml milk".into(),
            macros: full_macros(),
            notes: Some("soak overnight".into()),
            source: Source::AiCapture,
            confidence_pct: Some(78),
            image_path: Some("captures/1.jpg".into()),
            ai_model_version: Some("gpt-4o-2024".into()),
            meal_types: vec![lunch, breakfast],
        },
        t0(),
    )
    .await
    .unwrap();
    let m = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(m.id, id);
    assert_eq!(m.name, "Overnight Oats");
    assert_eq!(m.portion_description, "80 g oats, 200 ml milk");
    assert_eq!(m.macros, full_macros());
    assert_eq!(m.notes.as_deref(), Some("soak overnight"));
    assert_eq!(m.source, "ai_capture");
    assert_eq!(Source::parse(&m.source), Some(Source::AiCapture));
    assert_eq!(m.confidence_pct, Some(78));
    assert_eq!(m.image_path.as_deref(), Some("captures/1.jpg"));
    assert_eq!(m.ai_model_version.as_deref(), Some("gpt-4o-2024"));
    assert_eq!((m.created_at, m.updated_at), (t0(), t0()));
    let types: Vec<(MealTypeId, &str)> = m
        .meal_types
        .iter()
        .map(|t| (t.id, t.name.as_str()))
        .collect();
    assert_eq!(types, vec![(breakfast, "Breakfast"), (lunch, "Lunch")]);
    assert_eq!(
        meals::type_ids(c, id).await.unwrap(),
        vec![breakfast, lunch]
    );
    assert!(meals::exists(c, alice, id).await.unwrap());

    let plain = meal(c, alice, "Apple", &[], t0()).await;
    let p = meals::get(c, alice, plain).await.unwrap().unwrap();
    assert_eq!(p.macros, Macros::default());
    assert_eq!(p.source, "manual");
    assert!(p.meal_types.is_empty());
    assert!(meals::type_ids(c, plain).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_meal_linked_twice_to_one_type_is_linked_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lunch = meal_type(c, alice, "Lunch").await;
    let id = meal(c, alice, "Soup", &[lunch, lunch], t0()).await;
    assert_eq!(meals::type_ids(c, id).await.unwrap(), vec![lunch]);
    meals::update(
        c,
        alice,
        id,
        &MealChange {
            meal_types: Some(vec![lunch, lunch]),
            ..Default::default()
        },
        at(1),
    )
    .await
    .unwrap();
    assert_eq!(meals::type_ids(c, id).await.unwrap(), vec![lunch]);
}

#[tokio::test]
async fn a_meal_linked_to_an_unknown_meal_type_is_a_foreign_key_violation() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let r = meals::insert(&mut tx.conn(), alice, &new_meal("Soup", &[unknown()]), t0()).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
}

#[tokio::test]
async fn meal_values_out_of_range_are_check_violations() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    tx.commit().await.unwrap();
    let mut cases = Vec::new();
    let mut m = new_meal("", &[]);
    cases.push(("empty name", m.clone()));
    m = new_meal("x", &[]);
    m.portion_description = String::new();
    cases.push(("empty portion", m.clone()));
    m = new_meal("x", &[]);
    m.macros.calories_kcal = Some(1_000_000);
    cases.push(("calories", m.clone()));
    m = new_meal("x", &[]);
    m.macros.calories_kcal = Some(-1);
    cases.push(("negative calories", m.clone()));
    m = new_meal("x", &[]);
    m.confidence_pct = Some(101);
    cases.push(("confidence", m.clone()));
    for (what, m) in cases {
        let mut tx = t.db.begin().await.unwrap();
        let r = meals::insert(&mut tx.conn(), alice, &m, t0()).await;
        assert_eq!(integrity(r), ConstraintKind::Check, "{what}");
    }
}

#[tokio::test]
async fn a_meal_of_another_user_is_not_found() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;

    assert!(meals::get(c, bob, lib.oats).await.unwrap().is_none());
    assert!(!meals::exists(c, bob, lib.oats).await.unwrap());
    assert!(
        !meals::update(
            c,
            bob,
            lib.oats,
            &MealChange {
                name: Some("Hacked".into()),
                meal_types: Some(vec![]),
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap()
    );
    assert!(!meals::delete(c, bob, lib.oats).await.unwrap());
    assert!(
        meals::compact(c, bob, &[lib.oats])
            .await
            .unwrap()
            .is_empty()
    );
    let (page, total) = meals::list(c, bob, &Filter::default(), Order::Name, 1, 50)
        .await
        .unwrap();
    assert!(page.is_empty());
    assert_eq!(total, 0);
    let by_type = Filter {
        meal_type: Some(lib.breakfast),
        ..Default::default()
    };
    assert_eq!(
        meals::list(c, bob, &by_type, Order::Name, 1, 50)
            .await
            .unwrap()
            .1,
        0
    );
    assert!(meals::all(c, bob).await.unwrap().is_empty());
    assert!(meals::recent(c, bob, 10).await.unwrap().is_empty());

    let oats = meals::get(c, alice, lib.oats).await.unwrap().unwrap();
    assert_eq!(oats.name, "Oats");
    assert_eq!(oats.updated_at, at(1), "unchanged");
    assert_eq!(oats.meal_types.len(), 1, "links untouched");
    assert!(meals::get(c, alice, unknown()).await.unwrap().is_none());
    assert!(!meals::exists(c, alice, unknown()).await.unwrap());
}

#[tokio::test]
async fn meals_are_listed_a_page_at_a_time_with_the_total() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    library(c, alice).await; // Eggs, Oats, Salad, Soup, Wrap
    let names = async |c: &mut Conn<'_>, page, size| {
        let (meals, total) = meals::list(c, alice, &Filter::default(), Order::Name, page, size)
            .await
            .unwrap();
        (meals.into_iter().map(|m| m.name).collect::<Vec<_>>(), total)
    };
    assert_eq!(
        names(c, 1, 2).await,
        (vec!["Eggs".to_owned(), "Oats".to_owned()], 5)
    );
    assert_eq!(
        names(c, 2, 2).await,
        (vec!["Salad".to_owned(), "Soup".to_owned()], 5)
    );
    assert_eq!(names(c, 3, 2).await, (vec!["Wrap".to_owned()], 5));
    assert_eq!(names(c, 4, 2).await, (vec![], 5));
    assert_eq!(
        names(c, 0, 2).await,
        names(c, 1, 2).await,
        "page 0 is page 1"
    );
    let (page, _) = meals::list(c, alice, &Filter::default(), Order::Name, 1, 50)
        .await
        .unwrap();
    assert_eq!(
        page[0].meal_types.len(),
        1,
        "listed meals carry their types"
    );
}

#[tokio::test]
async fn meal_search_ignores_case_and_takes_wildcards_literally() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    for name in [
        "100% Juice",
        "Rice_Bowl",
        "RiceXBowl",
        "OATS",
        "Back\\slash",
    ] {
        meal(c, alice, name, &[], t0()).await;
    }
    let mut porridge = new_meal("Porridge", &[]);
    porridge.portion_description = "60 g Oats, water".into();
    meals::insert(c, alice, &porridge, t0()).await.unwrap();

    let search = async |c: &mut Conn<'_>, s, portion| {
        let f = Filter {
            search: Some(s),
            search_portion: portion,
            ..Default::default()
        };
        let (meals, total) = meals::list(c, alice, &f, Order::Name, 1, 50).await.unwrap();
        assert_eq!(total, meals.len() as i64);
        meals.into_iter().map(|m| m.name).collect::<Vec<_>>()
    };
    assert_eq!(search(c, "oats", false).await, vec!["OATS"]);
    assert_eq!(search(c, "oAtS", true).await, vec!["OATS", "Porridge"]);
    assert_eq!(search(c, "%", false).await, vec!["100% Juice"]);
    assert_eq!(search(c, "e_b", false).await, vec!["Rice_Bowl"]);
    assert_eq!(search(c, "\\", false).await, vec!["Back\\slash"]);
    assert!(search(c, "zzz", true).await.is_empty());
}

#[tokio::test]
async fn meals_are_filtered_by_meal_type_and_source() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let mut captured = new_meal("Captured Oats", &[lib.breakfast]);
    captured.source = Source::AiCapture;
    meals::insert(c, alice, &captured, at(9)).await.unwrap();
    let names = async |c: &mut Conn<'_>, f: Filter<'_>| {
        let (meals, total) = meals::list(c, alice, &f, Order::Name, 1, 50).await.unwrap();
        assert_eq!(total, meals.len() as i64);
        meals.into_iter().map(|m| m.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            c,
            Filter {
                meal_type: Some(lib.breakfast),
                ..Default::default()
            }
        )
        .await,
        vec!["Captured Oats", "Eggs", "Oats"]
    );
    assert_eq!(
        names(
            c,
            Filter {
                meal_type: Some(lib.breakfast),
                source: Some("manual"),
                ..Default::default()
            }
        )
        .await,
        vec!["Eggs", "Oats"]
    );
    assert_eq!(
        names(
            c,
            Filter {
                source: Some("ai_capture"),
                search: Some("oats"),
                ..Default::default()
            }
        )
        .await,
        vec!["Captured Oats"]
    );
    assert!(
        names(
            c,
            Filter {
                meal_type: Some(unknown()),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn meals_are_ordered_by_name_newest_or_calories_with_unknown_calories_last() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    for (name, kcal, created) in [
        ("B", Some(300), 1),
        ("A", None, 2),
        ("D", Some(100), 3),
        ("C", Some(300), 4),
    ] {
        let mut m = new_meal(name, &[]);
        m.macros.calories_kcal = kcal;
        meals::insert(c, alice, &m, at(created)).await.unwrap();
    }
    let order = async |c: &mut Conn<'_>, o| {
        meals::list(c, alice, &Filter::default(), o, 1, 50)
            .await
            .unwrap()
            .0
            .into_iter()
            .map(|m| m.name)
            .collect::<String>()
    };
    assert_eq!(order(c, Order::Name).await, "ABCD");
    assert_eq!(order(c, Order::Newest).await, "CDAB");
    assert_eq!(order(c, Order::CaloriesAsc).await, "DBCA");
    assert_eq!(order(c, Order::CaloriesDesc).await, "BCDA");
}

#[tokio::test]
async fn all_meals_of_a_user_come_by_name_with_their_types() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    meal(c, bob, "Bob's meal", &[], t0()).await;
    let all = meals::all(c, alice).await.unwrap();
    let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["Eggs", "Oats", "Salad", "Soup", "Wrap"]);
    assert_eq!(all[1].meal_types[0].id, lib.breakfast);
    assert_eq!(all[2].meal_types[0].id, lib.lunch);
}

#[tokio::test]
async fn recent_meals_are_the_newest_first_up_to_the_limit() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    library(c, alice).await;
    assert_eq!(
        meals::recent(c, alice, 2).await.unwrap(),
        vec![
            ("Wrap".to_owned(), "1 portion of Wrap".to_owned()),
            ("Soup".to_owned(), "1 portion of Soup".to_owned()),
        ]
    );
    assert_eq!(meals::recent(c, alice, 50).await.unwrap().len(), 5);
}

#[tokio::test]
async fn updating_a_meal_changes_only_the_given_fields_and_replaces_its_types() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let mut m = new_meal("Toast", &[lib.breakfast]);
    m.macros = full_macros();
    m.notes = Some("buttered".into());
    let id = meals::insert(c, alice, &m, t0()).await.unwrap();

    assert!(
        meals::update(
            c,
            alice,
            id,
            &MealChange {
                name: Some("French Toast".into()),
                calories_kcal: Some(510),
                nutrients: [dg(200), None, None, dg(150), None, None],
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap()
    );
    let got = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(got.name, "French Toast");
    assert_eq!(got.portion_description, "1 portion of Toast");
    assert_eq!(
        got.macros,
        Macros {
            calories_kcal: Some(510),
            protein: dg(200),
            fat: dg(150),
            ..full_macros()
        }
    );
    assert_eq!(got.notes.as_deref(), Some("buttered"));
    assert_eq!((got.created_at, got.updated_at), (t0(), at(1)));
    assert_eq!(meals::type_ids(c, id).await.unwrap(), vec![lib.breakfast]);
    // The new name is what search finds.
    let f = Filter {
        search: Some("french"),
        ..Default::default()
    };
    assert_eq!(
        meals::list(c, alice, &f, Order::Name, 1, 10)
            .await
            .unwrap()
            .1,
        1
    );

    assert!(
        meals::update(
            c,
            alice,
            id,
            &MealChange {
                portion_description: Some("2 Slices".into()),
                notes: Some("plain".into()),
                meal_types: Some(vec![lib.lunch, lib.breakfast]),
                ..Default::default()
            },
            at(2),
        )
        .await
        .unwrap()
    );
    let got = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(got.portion_description, "2 Slices");
    assert_eq!(got.notes.as_deref(), Some("plain"));
    assert_eq!(
        meals::type_ids(c, id).await.unwrap(),
        vec![lib.breakfast, lib.lunch]
    );
    let f = Filter {
        search: Some("slices"),
        search_portion: true,
        ..Default::default()
    };
    assert_eq!(
        meals::list(c, alice, &f, Order::Name, 1, 10)
            .await
            .unwrap()
            .1,
        1
    );

    meals::update(
        c,
        alice,
        id,
        &MealChange {
            meal_types: Some(vec![]),
            ..Default::default()
        },
        at(3),
    )
    .await
    .unwrap();
    assert!(meals::type_ids(c, id).await.unwrap().is_empty());
    assert!(
        !meals::update(c, alice, unknown(), &MealChange::default(), at(4))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn clearing_fields_of_another_users_meal_changes_nothing() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let mut m = new_meal("Toast", &[]);
    m.macros = full_macros();
    m.notes = Some("buttered".into());
    let id = meals::insert(c, alice, &m, t0()).await.unwrap();
    meals::clear_fields(c, bob, id, &["protein_g", "calories_kcal"], true)
        .await
        .unwrap();
    let got = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(got.macros, full_macros());
    assert_eq!(got.notes.as_deref(), Some("buttered"));
}

#[tokio::test]
async fn clearing_fields_empties_the_named_nutrients_and_the_notes() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let mut m = new_meal("Toast", &[]);
    m.macros = full_macros();
    m.notes = Some("buttered".into());
    let id = meals::insert(c, alice, &m, t0()).await.unwrap();

    meals::clear_fields(
        c,
        alice,
        id,
        &["protein_g", "fiber_g", "no_such_field"],
        false,
    )
    .await
    .unwrap();
    let got = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(
        got.macros,
        Macros {
            protein: None,
            fiber: None,
            ..full_macros()
        }
    );
    assert_eq!(got.notes.as_deref(), Some("buttered"));

    meals::clear_fields(
        c,
        alice,
        id,
        &[
            "calories_kcal",
            "carbs_g",
            "sugar_g",
            "fat_g",
            "saturated_fat_g",
        ],
        true,
    )
    .await
    .unwrap();
    let got = meals::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(got.macros, Macros::default());
    assert_eq!(got.notes, None);
    assert_eq!(got.name, "Toast");
}

#[tokio::test]
async fn compact_meals_are_the_users_requested_ones_each_once() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    let bobs = meal(c, bob, "Bob's", &[], t0()).await;
    let got = meals::compact(c, alice, &[lib.oats, lib.soup, lib.oats, bobs, unknown()])
        .await
        .unwrap();
    let mut ids: Vec<MealId> = got.keys().copied().collect();
    ids.sort();
    let mut want = vec![lib.oats, lib.soup];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(got[&lib.soup].name, "Soup");
    assert!(
        got[&lib.soup].meal_types.is_empty(),
        "the compact form has no types"
    );
    assert!(meals::compact(c, alice, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn deleting_a_meal_keeps_its_slots_without_it_and_clears_it_as_an_actual_meal() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let lib = &w.lib;
    let monday = slot_ids(c, alice, MONDAY).await;
    ops::complete(
        c,
        alice,
        monday[1],
        CompletionStatus::Deviated,
        Some(lib.wrap),
        t0(),
    )
    .await
    .unwrap();
    assert!(meals::delete(c, alice, lib.oats).await.unwrap());
    assert!(meals::delete(c, alice, lib.wrap).await.unwrap());
    assert!(!meals::delete(c, alice, lib.wrap).await.unwrap());

    let slots = slots_of(c, alice, MONDAY).await;
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[0].meal, None, "oats was planned here");
    assert_eq!(
        slots[0].meal_type.as_ref().map(|t| t.id),
        Some(lib.breakfast)
    );
    assert_eq!(slots[1].actual_meal, None, "wrap was eaten here");
    assert_eq!(slots[1].status, Some(CompletionStatus::Deviated));
    assert!(meals::get(c, alice, lib.oats).await.unwrap().is_none());
}

// ---------------------------------------------------------------------------------------------
// day templates

#[tokio::test]
async fn a_new_template_has_its_slots_in_position_order_and_its_limits() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let breakfast = meal_type(c, alice, "Breakfast").await;
    let lunch = meal_type(c, alice, "Lunch").await;
    let tmpl = day_templates::insert(
        c,
        alice,
        &day_templates::NewTemplate {
            name: "Training day".into(),
            notes: Some("eat more".into()),
            max_calories_kcal: Some(2500),
            max_protein: dg(1800),
            slots: vec![
                TemplateSlot {
                    position: 2,
                    meal_type: lunch,
                    time: None,
                },
                TemplateSlot {
                    position: 1,
                    meal_type: breakfast,
                    time: None,
                },
                TemplateSlot {
                    position: 5,
                    meal_type: lunch,
                    time: None,
                },
            ],
        },
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(tmpl.name, "Training day");
    assert_eq!(tmpl.notes.as_deref(), Some("eat more"));
    assert_eq!(tmpl.max_calories_kcal, Some(2500));
    assert_eq!(tmpl.max_protein, dg(1800));
    assert_eq!((tmpl.created_at, tmpl.updated_at), (t0(), t0()));
    let slots: Vec<(i32, MealTypeId, &str)> = tmpl
        .slots
        .iter()
        .map(|s| (s.position, s.meal_type.id, s.meal_type.name.as_str()))
        .collect();
    assert_eq!(
        slots,
        vec![
            (1, breakfast, "Breakfast"),
            (2, lunch, "Lunch"),
            (5, lunch, "Lunch")
        ]
    );
    assert_eq!(tmpl.preview().as_deref(), Some("Breakfast → Lunch → Lunch"));
    let got = day_templates::get(c, alice, tmpl.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.slots.len(), 3);
    assert!(day_templates::exists(c, alice, tmpl.id).await.unwrap());

    let empty = template(c, alice, "Rest day", &[]).await;
    let e = day_templates::get(c, alice, empty).await.unwrap().unwrap();
    assert!(e.slots.is_empty());
    assert_eq!(e.preview(), None);
}

#[tokio::test]
async fn templates_are_listed_by_name_with_their_own_slots() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    let rest = template(c, alice, "Rest", &[lib.lunch]).await;
    let bt = meal_type(c, bob, "Bob's type").await;
    template(c, bob, "Bob's day", &[bt]).await;

    let listed = day_templates::list(c, alice).await.unwrap();
    let summary: Vec<(DayTemplateId, Option<String>)> =
        listed.iter().map(|t| (t.id, t.preview())).collect();
    assert_eq!(
        summary,
        vec![
            (rest, Some("Lunch".into())),
            (lib.workday, Some("Breakfast → Lunch".into()))
        ]
    );
    assert_eq!(day_templates::list(c, bob).await.unwrap().len(), 1);

    let by_template = day_templates::slots_by_template(c, alice).await.unwrap();
    assert_eq!(by_template.len(), 2);
    assert_eq!(
        by_template[&lib.workday],
        slots(&[lib.breakfast, lib.lunch])
    );
    assert_eq!(by_template[&rest], slots(&[lib.lunch]));
    assert_eq!(
        day_templates::slots_by_template(c, bob)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_template_slot_of_another_users_meal_type_is_refused_as_not_found() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let mine = meal_type(c, alice, "Mine").await;
    let bobs = meal_type(c, bob, "Bob's").await;

    let refused = day_templates::insert(c, alice, &new_template("Day", &[mine, bobs]), t0()).await;
    assert_eq!(rejection(refused), Rejection::MealTypeNotFound(bobs));
    let nobody = unknown();
    let refused = day_templates::insert(c, alice, &new_template("Day", &[nobody]), t0()).await;
    assert_eq!(rejection(refused), Rejection::MealTypeNotFound(nobody));
    assert!(day_templates::list(c, alice).await.unwrap().is_empty());

    let id = template(c, alice, "Day", &[mine]).await;
    let refused = day_templates::update(
        c,
        alice,
        id,
        &TemplateChange {
            name: Some("Renamed".into()),
            slots: Some(slots(&[bobs])),
            ..Default::default()
        },
        at(1),
    )
    .await;
    assert_eq!(rejection(refused), Rejection::MealTypeNotFound(bobs));
    let kept = day_templates::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(kept.name, "Day");
    assert_eq!(kept.slots[0].meal_type.id, mine);
}

#[tokio::test]
async fn template_rules_are_integrity_errors() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let bob = user(&mut tx.conn(), "bob@example.org").await;
    let mt = meal_type(&mut tx.conn(), alice, "Type").await;
    let bt = meal_type(&mut tx.conn(), bob, "Type").await;
    template(&mut tx.conn(), alice, "Day", &[mt]).await;
    template(&mut tx.conn(), bob, "Day", &[bt]).await; // names are per user
    tx.commit().await.unwrap();

    let cases: Vec<(&str, day_templates::NewTemplate, ConstraintKind)> = vec![
        (
            "taken name",
            new_template("Day", &[mt]),
            ConstraintKind::Unique,
        ),
        (
            "two slots at one position",
            day_templates::NewTemplate {
                slots: vec![
                    TemplateSlot {
                        position: 1,
                        meal_type: mt,
                        time: None,
                    },
                    TemplateSlot {
                        position: 1,
                        meal_type: mt,
                        time: None,
                    },
                ],
                ..new_template("Other", &[])
            },
            ConstraintKind::Unique,
        ),
        (
            "position 0",
            day_templates::NewTemplate {
                slots: vec![TemplateSlot {
                    position: 0,
                    meal_type: mt,
                    time: None,
                }],
                ..new_template("Other", &[])
            },
            ConstraintKind::Check,
        ),
        (
            "a calorie limit of 0",
            day_templates::NewTemplate {
                max_calories_kcal: Some(0),
                ..new_template("Other", &[])
            },
            ConstraintKind::Check,
        ),
        ("empty name", new_template("", &[]), ConstraintKind::Check),
    ];
    for (what, new, kind) in cases {
        let mut tx = t.db.begin().await.unwrap();
        let r = day_templates::insert(&mut tx.conn(), alice, &new, t0()).await;
        assert_eq!(integrity(r), kind, "{what}");
    }
}

#[tokio::test]
async fn updating_a_template_changes_only_the_given_fields_and_can_clear_its_limits() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let id = day_templates::insert(
        c,
        alice,
        &day_templates::NewTemplate {
            max_calories_kcal: Some(2000),
            max_protein: dg(1500),
            notes: Some("n".into()),
            ..new_template("Day", &[lib.breakfast])
        },
        t0(),
    )
    .await
    .unwrap()
    .id;

    let got = day_templates::update(
        c,
        alice,
        id,
        &TemplateChange {
            name: Some("Big day".into()),
            max_calories_kcal: Some(None),
            ..Default::default()
        },
        at(1),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got.name, "Big day");
    assert_eq!(got.notes.as_deref(), Some("n"));
    assert_eq!(got.max_calories_kcal, None);
    assert_eq!(got.max_protein, dg(1500));
    assert_eq!(got.updated_at, at(1));
    assert_eq!(got.slots.len(), 1);

    let got = day_templates::update(
        c,
        alice,
        id,
        &TemplateChange {
            notes: Some("m".into()),
            max_calories_kcal: Some(Some(1800)),
            max_protein: Some(None),
            slots: Some(slots(&[lib.lunch, lib.breakfast, lib.lunch])),
            ..Default::default()
        },
        at(2),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(got.notes.as_deref(), Some("m"));
    assert_eq!((got.max_calories_kcal, got.max_protein), (Some(1800), None));
    assert_eq!(got.preview().as_deref(), Some("Lunch → Breakfast → Lunch"));

    let got = day_templates::update(c, alice, id, &TemplateChange::default(), at(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.slots.len(), 3, "slots are kept unless given");
    assert_eq!(got.name, "Big day");
    let cleared = day_templates::update(
        c,
        alice,
        id,
        &TemplateChange {
            slots: Some(vec![]),
            ..Default::default()
        },
        at(4),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(cleared.slots.is_empty());
}

#[tokio::test]
async fn clearing_a_templates_notes_empties_them() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let id = day_templates::insert(
        c,
        alice,
        &day_templates::NewTemplate {
            notes: Some("n".into()),
            ..new_template("Day", &[])
        },
        t0(),
    )
    .await
    .unwrap()
    .id;
    day_templates::clear_notes(c, alice, id).await.unwrap();
    let got = day_templates::get(c, alice, id).await.unwrap().unwrap();
    assert_eq!(got.notes, None);
    assert_eq!(got.name, "Day");
}

#[tokio::test]
async fn a_template_of_another_user_is_not_found() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let lib = library(c, alice).await;
    let spare = day_templates::insert(
        c,
        alice,
        &day_templates::NewTemplate {
            notes: Some("keep me".into()),
            ..new_template("Spare", &[lib.lunch])
        },
        t0(),
    )
    .await
    .unwrap()
    .id;
    let bt = meal_type(c, bob, "Bob's").await;

    assert!(day_templates::get(c, bob, spare).await.unwrap().is_none());
    assert!(!day_templates::exists(c, bob, spare).await.unwrap());
    assert!(
        day_templates::update(
            c,
            bob,
            spare,
            &TemplateChange {
                name: Some("Hacked".into()),
                slots: Some(slots(&[bt])),
                ..Default::default()
            },
            at(1),
        )
        .await
        .unwrap()
        .is_none()
    );
    assert!(
        !day_templates::used_by_week_plans(c, bob, lib.workday)
            .await
            .unwrap()
    );
    day_templates::clear_notes(c, bob, spare).await.unwrap();
    assert!(!day_templates::delete(c, bob, spare).await.unwrap());
    assert!(day_templates::list(c, bob).await.unwrap().is_empty());
    assert!(
        day_templates::slots_by_template(c, bob)
            .await
            .unwrap()
            .is_empty()
    );

    let kept = day_templates::get(c, alice, spare).await.unwrap().unwrap();
    assert_eq!(kept.name, "Spare");
    assert_eq!(kept.notes.as_deref(), Some("keep me"));
    assert_eq!(kept.slots[0].meal_type.id, lib.lunch);
    assert!(!day_templates::exists(c, alice, unknown()).await.unwrap());
    assert!(
        day_templates::get(c, alice, unknown())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn deleting_a_template_used_by_a_week_plan_is_refused() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let spare = template(c, alice, "Spare", &[lib.lunch]).await;
    assert!(
        day_templates::used_by_week_plans(c, alice, lib.workday)
            .await
            .unwrap()
    );
    assert!(
        !day_templates::used_by_week_plans(c, alice, spare)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let r = day_templates::delete(&mut tx.conn(), alice, lib.workday).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
    drop(tx);

    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    assert!(day_templates::exists(c, alice, lib.workday).await.unwrap());
    assert!(day_templates::delete(c, alice, spare).await.unwrap());
    assert!(!day_templates::delete(c, alice, spare).await.unwrap());
    assert!(
        meal_types::delete(c, alice, lib.lunch).await.is_err(),
        "workday still uses lunch"
    );
}

#[tokio::test]
async fn deleting_a_template_keeps_its_generated_days_without_a_template() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let lib = &w.lib;
    let other = template(c, alice, "Other", &[lib.lunch]).await;
    week_plans::update(c, alice, lib.plan, None, None, Some(&[(0, other)]), at(1))
        .await
        .unwrap();
    assert!(day_templates::delete(c, alice, lib.workday).await.unwrap());
    let (_, day) = views::day(c, alice, MONDAY).await.unwrap().unwrap();
    let day = day.unwrap();
    assert_eq!(day.template, None);
    assert_eq!(day.slots.len(), 2, "its slots stay");
}

// ---------------------------------------------------------------------------------------------
// week plans

fn weekdays(plan: &week_plans::WeekPlan) -> Vec<(u8, DayTemplateId, &str)> {
    plan.days
        .iter()
        .map(|d| (d.weekday, d.day_template.id, d.day_template.name.as_str()))
        .collect()
}

#[tokio::test]
async fn a_week_plan_is_returned_with_its_days_by_weekday() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let mt = meal_type(c, alice, "Type").await;
    let work = template(c, alice, "Work", &[mt]).await;
    let rest = template(c, alice, "Rest", &[mt]).await;
    let plan = week_plans::insert(
        c,
        alice,
        "Plan",
        false,
        &[(6, rest), (0, work), (3, work)],
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(plan.name, "Plan");
    assert!(plan.is_default, "a user's first plan is the default");
    assert_eq!((plan.created_at, plan.updated_at), (t0(), t0()));
    assert_eq!(
        weekdays(&plan),
        vec![(0, work, "Work"), (3, work, "Work"), (6, rest, "Rest")]
    );
    let got = week_plans::get(c, alice, plan.id).await.unwrap().unwrap();
    assert_eq!(weekdays(&got), weekdays(&plan));
    assert!(week_plans::exists(c, alice, plan.id).await.unwrap());
    let (id, mapping) = week_plans::default_plan(c, alice).await.unwrap().unwrap();
    assert_eq!(id, plan.id);
    assert_eq!(mapping.len(), 3);
    assert_eq!((mapping[&0], mapping[&3], mapping[&6]), (work, work, rest));
}

#[tokio::test]
async fn the_default_flag_moves_to_a_new_default_plan_of_the_same_user_only() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = library(c, alice).await;
    let b = library(c, bob).await;

    let second = week_plans::insert(c, alice, "Second", false, &[], t0())
        .await
        .unwrap();
    assert!(!second.is_default);
    let third = week_plans::insert(c, alice, "Third", true, &[], t0())
        .await
        .unwrap();
    assert!(third.is_default);
    let default = |plans: Vec<week_plans::WeekPlan>| -> Vec<WeekPlanId> {
        plans
            .into_iter()
            .filter(|p| p.is_default)
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(
        default(week_plans::list(c, alice).await.unwrap()),
        vec![third.id]
    );

    let moved = week_plans::set_default(c, alice, a.plan, at(1))
        .await
        .unwrap()
        .unwrap();
    assert!(moved.is_default);
    assert_eq!(moved.updated_at, at(1));
    assert_eq!(
        default(week_plans::list(c, alice).await.unwrap()),
        vec![a.plan]
    );
    assert_eq!(
        week_plans::default_plan(c, alice).await.unwrap().unwrap().0,
        a.plan
    );
    // Setting the default again keeps it.
    week_plans::set_default(c, alice, a.plan, at(2))
        .await
        .unwrap();
    assert_eq!(
        default(week_plans::list(c, alice).await.unwrap()),
        vec![a.plan]
    );

    assert_eq!(
        default(week_plans::list(c, bob).await.unwrap()),
        vec![b.plan]
    );
}

#[tokio::test]
async fn a_user_has_at_most_one_default_plan_in_the_database() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let bob = user(&mut tx.conn(), "bob@example.org").await;
    week_plan(&mut tx.conn(), alice, "One", &[]).await;
    let two = week_plan(&mut tx.conn(), alice, "Two", &[]).await;
    week_plan(&mut tx.conn(), bob, "Bob's", &[]).await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let r = execute!(
        tx.conn(),
        "UPDATE week_plans SET is_default = TRUE WHERE id = $1",
        two.uuid()
    );
    let err = mealframe_store::StoreError::from(r.unwrap_err());
    assert!(err.is_unique_violation(), "{err:?}");
}

#[tokio::test]
async fn week_plans_are_listed_by_name() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let mt = meal_type(c, alice, "Type").await;
    let tmpl = template(c, alice, "Day", &[mt]).await;
    let b = week_plan(c, alice, "B plan", &[(1, tmpl)]).await;
    let a = week_plan(c, alice, "A plan", &[]).await;
    week_plan(c, bob, "Bob's", &[]).await;
    let listed = week_plans::list(c, alice).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(weekdays(&listed[1]), vec![(1, tmpl, "Day")]);
    assert_eq!(week_plans::list(c, bob).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_weekday_is_0_to_6_and_mapped_once_per_plan() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let alice = user(&mut tx.conn(), "alice@example.org").await;
    let tmpl = template(&mut tx.conn(), alice, "Day", &[]).await;
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let r = week_plans::insert(&mut tx.conn(), alice, "P", false, &[(7, tmpl)], t0()).await;
    assert_eq!(integrity(r), ConstraintKind::Check);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = week_plans::insert(
        &mut tx.conn(),
        alice,
        "P",
        false,
        &[(2, tmpl), (2, tmpl)],
        t0(),
    )
    .await;
    assert_eq!(integrity(r), ConstraintKind::Unique);
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = week_plans::insert(&mut tx.conn(), alice, "P", false, &[(2, unknown())], t0()).await;
    assert_eq!(integrity(r), ConstraintKind::ForeignKey);
}

#[tokio::test]
async fn updating_a_week_plan_changes_only_the_given_fields() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let lib = library(c, alice).await;
    let rest = template(c, alice, "Rest", &[lib.lunch]).await;

    let p = week_plans::update(c, alice, lib.plan, Some("Renamed"), None, None, at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.name, "Renamed");
    assert!(p.is_default);
    assert_eq!(p.days.len(), 5);
    assert_eq!(p.updated_at, at(1));

    let p = week_plans::update(
        c,
        alice,
        lib.plan,
        None,
        None,
        Some(&[(5, rest), (6, rest)]),
        at(2),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(p.name, "Renamed");
    assert_eq!(weekdays(&p), vec![(5, rest, "Rest"), (6, rest, "Rest")]);

    let p = week_plans::update(c, alice, lib.plan, None, Some(false), None, at(3))
        .await
        .unwrap()
        .unwrap();
    assert!(!p.is_default);
    assert!(week_plans::default_plan(c, alice).await.unwrap().is_none());
    assert!(
        week_plans::update(c, alice, unknown(), Some("x"), Some(true), None, at(4))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_week_plan_of_another_user_is_not_found() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let bob = user(c, "bob@example.org").await;
    let a = library(c, alice).await;
    let b = library(c, bob).await;
    let a2 = week_plan(c, alice, "Second", &[]).await;

    assert!(week_plans::get(c, bob, a.plan).await.unwrap().is_none());
    assert!(!week_plans::exists(c, bob, a.plan).await.unwrap());
    assert!(
        week_plans::update(c, bob, a2, Some("Hacked"), Some(true), Some(&[]), at(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        week_plans::set_default(c, bob, a2, at(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(!week_plans::delete(c, bob, a2).await.unwrap());

    // Neither user's default moved and Alice's plans are unchanged.
    assert_eq!(
        week_plans::default_plan(c, bob).await.unwrap().unwrap().0,
        b.plan
    );
    assert_eq!(
        week_plans::default_plan(c, alice).await.unwrap().unwrap().0,
        a.plan
    );
    let kept = week_plans::get(c, alice, a2).await.unwrap().unwrap();
    assert_eq!((kept.name.as_str(), kept.is_default), ("Second", false));
    let listed: Vec<WeekPlanId> = week_plans::list(c, bob)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, vec![b.plan]);
    assert!(
        week_plans::get(c, alice, unknown())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_user_without_a_default_plan_has_none() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    assert!(week_plans::default_plan(c, alice).await.unwrap().is_none());
}

#[tokio::test]
async fn deleting_a_week_plan_keeps_its_generated_weeks() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let c = &mut tx.conn();
    let alice = user(c, "alice@example.org").await;
    let w = generated_week(c, alice).await;
    let (_, plan) = views::week_row(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!(
        plan.map(|p| (p.id, p.name)),
        Some((w.lib.plan, "Usual week".into()))
    );
    assert!(week_plans::delete(c, alice, w.lib.plan).await.unwrap());
    assert!(!week_plans::delete(c, alice, w.lib.plan).await.unwrap());
    let (id, plan) = views::week_row(c, alice, MONDAY).await.unwrap().unwrap();
    assert_eq!((id, plan), (w.id, None));
    assert!(week_plans::default_plan(c, alice).await.unwrap().is_none());
}
