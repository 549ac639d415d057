//! Filling weeks and days with meals.
//!
//! * A new week: for each weekday Monday→Sunday that the week plan maps, the day's template slots
//!   in position order each get the next round-robin meal of their meal type. Unmapped weekdays
//!   get no day at all. This call order (Monday slots 1..n, then Tuesday, …) is what makes
//!   generation deterministic.
//! * Smart regeneration of an existing week (a deliberate difference from the original, which
//!   rewrote past days and manual picks): only unmarked slots from today onwards are re-rolled,
//!   and never a slot the user picked by hand or added ad hoc; override days and days without a
//!   template are left alone; slots are never added or removed.

use std::collections::HashMap;

use time::Date;

use super::{calendar, completion::CompletionStatus, round_robin::Rotation};
use crate::{
    ids::{DayTemplateId, MealId, MealTypeId, SlotId},
    meal_time::MealTime,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateSlot {
    pub position: i32,
    pub meal_type: MealTypeId,
    /// When the meal is eaten (user's time zone); generation ignores it.
    pub time: Option<MealTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedSlot {
    pub position: i32,
    pub meal_type: MealTypeId,
    pub meal: Option<MealId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDay {
    pub date: Date,
    pub template: DayTemplateId,
    pub slots: Vec<PlannedSlot>,
}

/// One day's slots from its template, in position order.
pub fn fill_day(template_slots: &[TemplateSlot], rotation: &mut Rotation) -> Vec<PlannedSlot> {
    let mut ordered = template_slots.to_vec();
    ordered.sort_by_key(|s| s.position);
    ordered
        .into_iter()
        .map(|s| PlannedSlot {
            position: s.position,
            meal_type: s.meal_type,
            meal: rotation.pick(s.meal_type),
        })
        .collect()
}

/// A new week starting on `monday`: `mapping` is weekday (0 = Monday) → template.
pub fn plan_week(
    monday: Date,
    mapping: &HashMap<u8, DayTemplateId>,
    templates: &HashMap<DayTemplateId, Vec<TemplateSlot>>,
    rotation: &mut Rotation,
) -> Vec<PlannedDay> {
    calendar::week_dates(monday)
        .filter_map(|date| {
            let template = *mapping.get(&calendar::weekday_index(date))?;
            let slots = fill_day(
                templates.get(&template).map(Vec::as_slice).unwrap_or(&[]),
                rotation,
            );
            Some(PlannedDay {
                date,
                template,
                slots,
            })
        })
        .collect()
}

/// A slot of an existing week, as regeneration sees it.
#[derive(Debug, Clone, Copy)]
pub struct ExistingSlot {
    pub id: SlotId,
    pub position: i32,
    pub status: Option<CompletionStatus>,
    pub is_manual_override: bool,
    pub is_adhoc: bool,
}

/// A day of an existing week, as regeneration sees it.
#[derive(Debug, Clone)]
pub struct ExistingDay {
    pub date: Date,
    pub template: Option<DayTemplateId>,
    pub is_override: bool,
    pub slots: Vec<ExistingSlot>,
}

/// The new meal of every slot that smart regeneration re-rolls (see the module comment).
pub fn regenerate(
    days: &[ExistingDay],
    today: Date,
    templates: &HashMap<DayTemplateId, Vec<TemplateSlot>>,
    rotation: &mut Rotation,
) -> Vec<(SlotId, Option<MealId>)> {
    let mut ordered: Vec<&ExistingDay> = days.iter().collect();
    ordered.sort_by_key(|d| d.date);
    let mut changes = Vec::new();
    for day in ordered {
        if day.date < today || day.is_override {
            continue;
        }
        let Some(template) = day.template else {
            continue;
        };
        let template_slots = templates.get(&template).map(Vec::as_slice).unwrap_or(&[]);
        let mut slots: Vec<&ExistingSlot> = day.slots.iter().collect();
        slots.sort_by_key(|s| s.position);
        for slot in slots {
            if slot.status.is_some() || slot.is_manual_override || slot.is_adhoc {
                continue;
            }
            let Some(ts) = template_slots.iter().find(|t| t.position == slot.position) else {
                continue;
            };
            changes.push((slot.id, rotation.pick(ts.meal_type)));
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;
    use uuid::Uuid;

    fn id<T: From<Uuid>>(n: u128) -> T {
        T::from(Uuid::from_u128(n))
    }

    fn setup() -> (
        HashMap<DayTemplateId, Vec<TemplateSlot>>,
        DayTemplateId,
        MealTypeId,
        MealTypeId,
        Rotation,
    ) {
        let breakfast: MealTypeId = id(1);
        let lunch: MealTypeId = id(2);
        let t: DayTemplateId = id(10);
        let templates = HashMap::from([(
            t,
            vec![
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
            ],
        )]);
        let rotation = Rotation::new(
            HashMap::from([
                (breakfast, vec![id(100), id(101)]),
                (lunch, vec![id(200), id(201), id(202)]),
            ]),
            HashMap::new(),
        );
        (templates, t, breakfast, lunch, rotation)
    }

    #[test]
    fn generating_a_week_skips_unmapped_weekdays_and_fills_slots_in_call_order() {
        let (templates, t, breakfast, lunch, mut rotation) = setup();
        let mapping = HashMap::from([(0u8, t), (2u8, t)]);
        let week = plan_week(date!(2026 - 11 - 23), &mapping, &templates, &mut rotation);
        assert_eq!(
            week.iter().map(|d| d.date).collect::<Vec<_>>(),
            vec![date!(2026 - 11 - 23), date!(2026 - 11 - 25)]
        );
        let monday = &week[0].slots;
        assert_eq!(
            monday[0],
            PlannedSlot {
                position: 1,
                meal_type: breakfast,
                meal: Some(id(100))
            }
        );
        assert_eq!(
            monday[1],
            PlannedSlot {
                position: 2,
                meal_type: lunch,
                meal: Some(id(200))
            }
        );
        let wednesday = &week[1].slots;
        assert_eq!(wednesday[0].meal, Some(id(101)));
        assert_eq!(wednesday[1].meal, Some(id(201)));
    }

    #[test]
    fn regeneration_keeps_past_days_marks_manual_picks_and_adhoc_slots() {
        let (templates, t, _, _, mut rotation) = setup();
        let slot = |n: u128, position, status, manual, adhoc| ExistingSlot {
            id: id(n),
            position,
            status,
            is_manual_override: manual,
            is_adhoc: adhoc,
        };
        let days = vec![
            ExistingDay {
                date: date!(2026 - 11 - 17),
                template: Some(t),
                is_override: false,
                slots: vec![slot(1, 1, None, false, false)],
            },
            ExistingDay {
                date: date!(2026 - 11 - 18),
                template: Some(t),
                is_override: false,
                slots: vec![
                    slot(2, 1, Some(CompletionStatus::Followed), false, false),
                    slot(3, 2, None, false, false),
                    slot(4, 3, None, false, true),
                ],
            },
            ExistingDay {
                date: date!(2026 - 11 - 19),
                template: Some(t),
                is_override: false,
                slots: vec![
                    slot(5, 1, None, true, false),
                    slot(6, 2, None, false, false),
                ],
            },
            ExistingDay {
                date: date!(2026 - 11 - 20),
                template: Some(t),
                is_override: true,
                slots: vec![],
            },
            ExistingDay {
                date: date!(2026 - 11 - 21),
                template: None,
                is_override: false,
                slots: vec![slot(7, 1, None, false, false)],
            },
        ];
        let changes = regenerate(&days, date!(2026 - 11 - 18), &templates, &mut rotation);
        assert_eq!(
            changes,
            vec![(id(3), Some(id(200))), (id(6), Some(id(201)))]
        );
    }

    proptest! {
        #[test]
        fn regeneration_never_touches_a_marked_slot(statuses in proptest::collection::vec(proptest::option::of(0usize..5), 1..20)) {
            let (templates, t, _, _, mut rotation) = setup();
            let slots: Vec<ExistingSlot> = statuses.iter().enumerate().map(|(i, s)| ExistingSlot {
                id: id(i as u128 + 1),
                position: (i % 2) as i32 + 1,
                status: s.map(|k| CompletionStatus::ALL[k]),
                is_manual_override: false,
                is_adhoc: false,
            }).collect();
            let day = ExistingDay { date: date!(2026 - 11 - 20), template: Some(t), is_override: false, slots: slots.clone() };
            let changes = regenerate(&[day], date!(2026 - 11 - 18), &templates, &mut rotation);
            for (changed, _) in changes {
                let s = slots.iter().find(|s| s.id == changed).unwrap();
                prop_assert!(s.status.is_none());
            }
        }
    }
}
