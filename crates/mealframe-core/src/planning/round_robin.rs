//! Round-robin meal selection per meal type (ADR-002).
//!
//! For each meal type the candidates are the user's manually created meals linked to it (AI
//! captures never enter the rotation), ordered by `(created_at, id)`. The state remembers the last
//! meal picked; the next pick is the one after it, wrapping around. If the last meal is no longer
//! a candidate (deleted, unlinked), the rotation restarts at the first. No candidates → no meal,
//! state untouched. Deterministic: the same inputs and the same call order give the same picks.

use std::collections::HashMap;

use crate::ids::{MealId, MealTypeId};

/// The next meal after `last` in `candidates` (already in rotation order).
pub fn next_after(candidates: &[MealId], last: Option<MealId>) -> Option<MealId> {
    match candidates.len() {
        0 => None,
        1 => Some(candidates[0]),
        n => {
            let next = last
                .and_then(|l| candidates.iter().position(|c| *c == l))
                .map_or(0, |i| (i + 1) % n);
            Some(candidates[next])
        }
    }
}

/// Rotation state for a batch of picks (one generation, regeneration or day rebuild).
#[derive(Debug, Clone, Default)]
pub struct Rotation {
    candidates: HashMap<MealTypeId, Vec<MealId>>,
    last: HashMap<MealTypeId, Option<MealId>>,
    touched: Vec<MealTypeId>,
}

impl Rotation {
    /// `candidates`: per meal type, the rotation order; `last`: the stored state per type.
    pub fn new(
        candidates: HashMap<MealTypeId, Vec<MealId>>,
        last: HashMap<MealTypeId, Option<MealId>>,
    ) -> Rotation {
        Rotation {
            candidates,
            last,
            touched: Vec::new(),
        }
    }

    /// Pick the next meal for `meal_type` and advance its state.
    pub fn pick(&mut self, meal_type: MealTypeId) -> Option<MealId> {
        let list = self
            .candidates
            .get(&meal_type)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let last = self.last.get(&meal_type).copied().flatten();
        let picked = next_after(list, last)?;
        self.last.insert(meal_type, Some(picked));
        if !self.touched.contains(&meal_type) {
            self.touched.push(meal_type);
        }
        Some(picked)
    }

    /// The next pick without advancing.
    pub fn peek(&self, meal_type: MealTypeId) -> Option<MealId> {
        let list = self
            .candidates
            .get(&meal_type)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        next_after(list, self.last.get(&meal_type).copied().flatten())
    }

    /// The state to persist: every type that was picked from, with its new last meal.
    pub fn changed_states(&self) -> Vec<(MealTypeId, MealId)> {
        self.touched
            .iter()
            .filter_map(|t| self.last.get(t).copied().flatten().map(|m| (*t, m)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(n: usize) -> Vec<MealId> {
        (0..n)
            .map(|i| MealId(uuid::Uuid::from_u128(i as u128 + 1)))
            .collect()
    }

    #[test]
    fn starts_at_the_first_meal_and_rotates_in_order_with_wraparound() {
        let m = ids(3);
        assert_eq!(next_after(&m, None), Some(m[0]));
        assert_eq!(next_after(&m, Some(m[0])), Some(m[1]));
        assert_eq!(next_after(&m, Some(m[2])), Some(m[0]));
    }

    #[test]
    fn a_single_meal_always_wins_and_none_gives_nothing() {
        let m = ids(1);
        assert_eq!(next_after(&m, None), Some(m[0]));
        assert_eq!(next_after(&m, Some(m[0])), Some(m[0]));
        assert_eq!(next_after(&[], None), None);
    }

    #[test]
    fn a_vanished_last_meal_restarts_the_rotation() {
        let m = ids(3);
        let gone = MealId(uuid::Uuid::from_u128(99));
        assert_eq!(next_after(&m, Some(gone)), Some(m[0]));
    }

    #[test]
    fn a_new_meal_joins_at_the_end_of_the_cycle() {
        let mut m = ids(2);
        assert_eq!(next_after(&m, Some(m[1])), Some(m[0]));
        m.push(MealId(uuid::Uuid::from_u128(50)));
        assert_eq!(next_after(&m, Some(m[1])), Some(m[2]));
    }

    #[test]
    fn rotation_tracks_state_peeks_without_advancing_and_reports_changes() {
        let t = MealTypeId(uuid::Uuid::from_u128(7));
        let empty = MealTypeId(uuid::Uuid::from_u128(8));
        let m = ids(2);
        let mut r = Rotation::new(HashMap::from([(t, m.clone())]), HashMap::new());
        assert_eq!(r.peek(t), Some(m[0]));
        assert_eq!(r.peek(t), Some(m[0]));
        assert_eq!(r.pick(t), Some(m[0]));
        assert_eq!(r.pick(t), Some(m[1]));
        assert_eq!(r.pick(empty), None);
        assert_eq!(r.changed_states(), vec![(t, m[1])]);
    }

    proptest! {
        #[test]
        fn k_rounds_visit_every_meal_equally_often(n in 1usize..12, k in 1usize..40, start in 0usize..12) {
            let m = ids(n);
            let t = MealTypeId(uuid::Uuid::from_u128(1));
            let last = HashMap::from([(t, Some(m[start % n]))]);
            let mut r = Rotation::new(HashMap::from([(t, m.clone())]), last);
            let mut counts = vec![0usize; n];
            for _ in 0..k {
                let p = r.pick(t).unwrap();
                counts[m.iter().position(|x| *x == p).unwrap()] += 1;
            }
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            prop_assert!(hi - lo <= 1, "counts {:?}", counts);
        }
    }
}
