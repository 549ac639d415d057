//! The optional starter library a new account can accept in one click: four meal types, a dozen
//! everyday meals with exact portions and macros, two day templates and a default week plan.
//! Written for this project (kcal and grams are typical values, not a nutrition database).

use mealframe_core::{
    ids::{MealTypeId, UserId},
    meal_time::MealTime,
    planning::{generation::TemplateSlot, macros::Macros},
    tenths::Tenths,
};
use mealframe_store::library::{
    SetupProgress,
    day_templates::{self, NewTemplate},
    meal_types,
    meals::{self, NewMeal, Source},
    week_plans,
};

use super::{AppResult, Write};
use crate::state::AppState;

const TYPES: [(&str, &str); 4] = [
    ("Breakfast", "First meal of the day"),
    ("Lunch", "Midday meal"),
    ("Snack", "Between meals"),
    ("Dinner", "Evening meal"),
];

/// The time of day of each of `TYPES`' slots in the starter templates.
const TIMES: [&str; 4] = ["07:30", "12:30", "16:00", "19:00"];

/// (type, name, portion, kcal, protein, carbs, sugar, fat, saturated fat, fiber)
type Row = (
    usize,
    &'static str,
    &'static str,
    i32,
    i32,
    i32,
    i32,
    i32,
    i32,
    i32,
);

const MEALS: [Row; 12] = [
    (
        0,
        "Overnight oats",
        "60 g oats + 200 ml milk + 1 tbsp chia + 80 g berries",
        380,
        16,
        55,
        14,
        11,
        3,
        9,
    ),
    (
        0,
        "Greek yogurt bowl",
        "200 g Greek yogurt + 30 g granola + 1 tsp honey",
        330,
        22,
        35,
        20,
        11,
        6,
        2,
    ),
    (
        0,
        "Eggs on toast",
        "2 eggs + 1 slice wholegrain toast + 5 g butter",
        310,
        17,
        16,
        2,
        19,
        7,
        3,
    ),
    (
        1,
        "Chicken rice bowl",
        "150 g chicken breast + 150 g cooked rice + 100 g vegetables",
        520,
        45,
        60,
        4,
        9,
        2,
        4,
    ),
    (
        1,
        "Lentil soup and bread",
        "400 ml lentil soup + 1 slice rye bread",
        450,
        22,
        65,
        7,
        9,
        1,
        15,
    ),
    (
        1,
        "Tuna salad",
        "1 can tuna + 150 g mixed salad + 100 g chickpeas + 1 tbsp olive oil",
        480,
        38,
        25,
        4,
        22,
        3,
        8,
    ),
    (
        2,
        "Apple and almonds",
        "1 apple + 20 g almonds",
        210,
        5,
        27,
        19,
        10,
        1,
        6,
    ),
    (
        2,
        "Cottage cheese cup",
        "200 g cottage cheese + 1 tsp honey",
        220,
        24,
        12,
        10,
        8,
        5,
        0,
    ),
    (
        2,
        "Banana and protein shake",
        "1 banana + 30 g whey in 300 ml water",
        230,
        25,
        30,
        16,
        2,
        1,
        3,
    ),
    (
        3,
        "Salmon, potatoes and greens",
        "150 g salmon + 250 g potatoes + 150 g green beans",
        610,
        40,
        50,
        5,
        26,
        5,
        8,
    ),
    (
        3,
        "Turkey chili",
        "350 g turkey chili + 50 g rice (dry)",
        540,
        42,
        55,
        9,
        14,
        4,
        12,
    ),
    (
        3,
        "Tofu stir-fry",
        "200 g tofu + 250 g vegetables + 60 g noodles (dry)",
        560,
        32,
        62,
        10,
        20,
        3,
        9,
    ),
];

fn g(v: i32) -> Option<Tenths> {
    Some(Tenths::from_db(v * 10))
}

/// The one rule for offering the starter: nothing of the library exists yet.
pub fn offered(p: &SetupProgress) -> bool {
    p.meal_types == 0 && p.meals == 0 && p.templates == 0
}

/// Whether the starter can be offered (the library is still empty).
pub async fn available(state: &AppState, user: UserId) -> AppResult<bool> {
    let mut r = state.db.reader().await?;
    let p = mealframe_store::library::progress(&mut r.conn(), user).await?;
    Ok(offered(&p))
}

/// Create the starter library in one transaction. Returns false if the library was not empty.
pub async fn install(state: &AppState, w: &Write) -> AppResult<bool> {
    let user = w.user;
    let now = state.now();
    let mut tx = state.begin_for(w).await?;
    let p = mealframe_store::library::progress(&mut tx.conn(), user).await?;
    if !offered(&p) {
        return Ok(false);
    }
    let mut types: Vec<MealTypeId> = Vec::new();
    for (name, description) in TYPES {
        types.push(
            meal_types::insert(&mut tx.conn(), user, name, Some(description), &[], now)
                .await?
                .id,
        );
    }
    for (i, (t, name, portion, kcal, p, c, s, f, sf, fi)) in MEALS.into_iter().enumerate() {
        let meal = NewMeal {
            name: name.into(),
            portion_description: portion.into(),
            macros: Macros {
                calories_kcal: Some(kcal),
                protein: g(p),
                carbs: g(c),
                sugar: g(s),
                fat: g(f),
                saturated_fat: g(sf),
                fiber: g(fi),
            },
            notes: None,
            source: Source::Manual,
            confidence_pct: None,
            image_path: None,
            ai_model_version: None,
            meal_types: vec![types[t]],
        };
        // Distinct creation instants fix the rotation order to the list order.
        meals::insert(
            &mut tx.conn(),
            user,
            &meal,
            now.plus(time::Duration::microseconds(i as i64)),
        )
        .await?;
    }
    // Sensible meal times (the user's time zone): breakfast 07:30, lunch 12:30, an afternoon
    // snack 16:00, dinner 19:00.
    let slots = |ts: &[usize]| {
        ts.iter()
            .enumerate()
            .map(|(i, t)| TemplateSlot {
                position: i as i32 + 1,
                meal_type: types[*t],
                time: MealTime::parse(TIMES[*t]),
            })
            .collect()
    };
    let workday = day_templates::insert(
        &mut tx.conn(),
        user,
        &NewTemplate {
            name: "Workday".into(),
            notes: Some("Four meals, no guessing.".into()),
            max_calories_kcal: Some(2200),
            max_protein: None,
            slots: slots(&[0, 1, 2, 3]),
        },
        now,
    )
    .await?;
    let weekend = day_templates::insert(
        &mut tx.conn(),
        user,
        &NewTemplate {
            name: "Weekend".into(),
            notes: Some("A slower day.".into()),
            max_calories_kcal: None,
            max_protein: None,
            slots: slots(&[0, 1, 3]),
        },
        now,
    )
    .await?;
    let days: Vec<(u8, mealframe_core::ids::DayTemplateId)> = (0..7)
        .map(|d| (d, if d < 5 { workday.id } else { weekend.id }))
        .collect();
    week_plans::insert(&mut tx.conn(), user, "My week", true, &days, now).await?;
    tx.commit().await?;
    Ok(true)
}
