//! Summing a shopping list: the parsed lines of many portions, grouped by ingredient key and by
//! what can be added — the same mass, the same volume, or the same count unit ("2 slices" and
//! "1 pack" of bread stay apart, so do "100 g" and "1 can" of chickpeas). Amounts are summed
//! exactly in the base unit of their dimension (g, ml) and printed in the unit that reads best
//! (`print_amount`: 1500 g → 1.5 kg). Every item keeps where it came from; lines the parser
//! could not read pass through with their source, never dropped.

use std::collections::HashMap;

use super::{
    parse::{Line, parse_portion},
    quantity::Quantity,
    units::{Dimension, Unit, convert, format_amount, readable, to_base},
};

/// One thing to buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<S> {
    /// The aggregation key (lower case, singular).
    pub key: String,
    /// The name as first written.
    pub name: String,
    /// The sum, in `unit`: g or ml for mass and volume, else the count unit.
    pub quantity: Quantity,
    pub unit: Unit,
    /// Where it comes from, in the order first seen, each once.
    pub sources: Vec<S>,
    /// Every amount summed was in teaspoons or tablespoons (then the sum prints in spoons).
    pub by_the_spoon: bool,
}

impl<S> Item<S> {
    /// The amount as a shopping list prints it ("1.5 kg", "3 cans", "6"). What was measured by
    /// the spoon stays in spoons when it comes out whole ("5 tbsp", "4 tsp"), not "75 ml".
    pub fn amount(&self) -> String {
        print_amount(self.quantity, self.unit, self.by_the_spoon)
    }
}

/// The quantity and unit an amount is shown in: whole spoons when it was measured only by the
/// spoon (`by_the_spoon`) and comes out whole, else the unit that reads best ([`readable`]).
pub fn shown_in(quantity: Quantity, unit: Unit, by_the_spoon: bool) -> (Quantity, Unit) {
    if by_the_spoon {
        for spoon in [Unit::Tablespoon, Unit::Teaspoon] {
            if let Some(n) = convert(quantity, unit, spoon)
                && n.denominator() == 1
            {
                return (n, spoon);
            }
        }
    }
    readable(quantity, unit)
}

/// An amount as a shopping list prints it ("1.5 kg", "5 tbsp", "6", "2 slices"); see
/// [`shown_in`].
pub fn print_amount(quantity: Quantity, unit: Unit, by_the_spoon: bool) -> String {
    let (q, u) = shown_in(quantity, unit, by_the_spoon);
    if by_the_spoon && matches!(u, Unit::Tablespoon | Unit::Teaspoon) {
        return format!("{q} {}", u.label(q).unwrap_or_default());
    }
    format_amount(q, u)
}

/// A line of a portion that could not be read, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread<S> {
    pub text: String,
    pub source: S,
}

/// The summed list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summed<S> {
    /// By key, then unit.
    pub items: Vec<Item<S>>,
    /// In the order met.
    pub unread: Vec<Unread<S>>,
}

/// Sum the portions (`text`, where it comes from) into a list.
pub fn aggregate<'a, S: Clone + PartialEq>(
    portions: impl IntoIterator<Item = (&'a str, S)>,
) -> Summed<S> {
    let mut items: Vec<Item<S>> = Vec::new();
    let mut index: HashMap<(String, Unit), usize> = HashMap::new();
    let mut unread = Vec::new();
    // A plan repeats its meals: each distinct portion text is parsed once per call.
    let mut parsed: HashMap<&str, Vec<Line>> = HashMap::new();
    for (text, source) in portions {
        let lines = parsed.entry(text).or_insert_with(|| parse_portion(text));
        for line in lines.iter().cloned() {
            let ingredient = match line {
                Line::Parsed(i) => i,
                Line::Unparsed(text) => {
                    unread.push(Unread {
                        text,
                        source: source.clone(),
                    });
                    continue;
                }
            };
            let spoon = matches!(ingredient.unit, Unit::Teaspoon | Unit::Tablespoon);
            let (quantity, unit) = to_base(ingredient.quantity, ingredient.unit)
                .unwrap_or((ingredient.quantity, ingredient.unit));
            let slot = (ingredient.key.clone(), unit);
            let summed = index
                .get(&slot)
                .and_then(|&i| Some((i, items[i].quantity.checked_add(quantity)?)));
            match summed {
                Some((i, total)) => {
                    let item = &mut items[i];
                    item.quantity = total;
                    item.by_the_spoon &= spoon;
                    if !item.sources.contains(&source) {
                        item.sources.push(source.clone());
                    }
                }
                // New, or too large to add to (then it stands on its own line).
                None => {
                    index.insert(slot, items.len());
                    items.push(Item {
                        key: ingredient.key,
                        name: ingredient.name,
                        quantity,
                        unit,
                        sources: vec![source.clone()],
                        by_the_spoon: spoon,
                    });
                }
            }
        }
    }
    items.sort_by(|a, b| {
        (a.key.as_str(), dimension_order(a.unit), a.unit).cmp(&(
            b.key.as_str(),
            dimension_order(b.unit),
            b.unit,
        ))
    });
    Summed { items, unread }
}

fn dimension_order(unit: Unit) -> u8 {
    match unit.dimension() {
        Dimension::Mass => 0,
        Dimension::Volume => 1,
        Dimension::Count => 2,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn list(portions: &[(&'static str, u32)]) -> Vec<(String, String, Vec<u32>)> {
        aggregate(portions.iter().copied())
            .items
            .into_iter()
            .map(|i| (i.amount(), i.name, i.sources))
            .collect()
    }

    fn row(amount: &str, name: &str, sources: &[u32]) -> (String, String, Vec<u32>) {
        (amount.to_owned(), name.to_owned(), sources.to_vec())
    }

    #[test]
    fn the_same_ingredient_is_summed_across_meals_and_converted_within_its_dimension() {
        let got = list(&[
            ("60 g oats + 200 ml milk", 1),
            ("1 kg oats + 0.3 l milk", 2),
            ("80 g oats", 3),
        ]);
        assert_eq!(
            got,
            [
                row("500 ml", "milk", &[1, 2]),
                row("1.14 kg", "oats", &[1, 2, 3])
            ]
        );
    }

    #[test]
    fn counts_stay_counts_and_spoons_add_up_in_spoons() {
        let got = list(&[
            ("2 eggs + 1 tsp honey", 1),
            ("2 eggs (scrambled) + 1 tbsp honey", 2),
            ("1 egg", 2),
        ]);
        assert_eq!(
            got,
            [row("5", "egg", &[1, 2]), row("4 tsp", "honey", &[1, 2])]
        );
    }

    #[test]
    fn spoons_mixed_with_other_volumes_print_in_ml() {
        let got = list(&[("1 tbsp olive oil", 1), ("100 ml olive oil", 2)]);
        assert_eq!(got, [row("115 ml", "olive oil", &[1, 2])]);
        let got = list(&[("1/2 tsp salt", 1)]);
        assert_eq!(got, [row("2.5 ml", "salt", &[1])]);
    }

    #[test]
    fn different_count_units_and_dimensions_stay_apart() {
        let got = list(&[
            ("2 slices bread + 100 g chickpeas", 1),
            ("1 pack bread + 1 can chickpeas", 2),
        ]);
        assert_eq!(
            got,
            [
                row("2 slices", "bread", &[1]),
                row("1 pack", "bread", &[2]),
                row("100 g", "chickpea", &[1]),
                row("1 can", "chickpea", &[2]),
            ]
        );
    }

    #[test]
    fn unreadable_lines_are_kept_with_their_source() {
        let summed = aggregate([("leftovers + 1 apple", 7u32)]);
        assert_eq!(
            summed.unread,
            [Unread {
                text: "leftovers".into(),
                source: 7
            }]
        );
        assert_eq!(summed.items.len(), 1);
    }

    #[test]
    fn the_starter_week_makes_a_list_a_person_would_shop_from() {
        // Workday breakfast, lunch, snack and dinner of the starter library, five days.
        let day = [
            "60 g oats + 200 ml milk + 1 tbsp chia + 80 g berries",
            "150 g chicken breast + 150 g cooked rice + 100 g vegetables",
            "1 apple + 20 g almonds",
            "150 g salmon + 250 g potatoes + 150 g green beans",
        ];
        let week: Vec<(&str, u32)> = (1..=5)
            .flat_map(|d| day.iter().map(move |p| (*p, d)))
            .collect();
        let summed = aggregate(week);
        let text: Vec<String> = summed
            .items
            .iter()
            .map(|i| format!("{} {}", i.amount(), i.name))
            .collect();
        assert_eq!(
            text,
            [
                "100 g almond",
                "5 apple",
                "400 g berry",
                "5 tbsp chia",
                "750 g chicken breast",
                "750 g green bean",
                "1 l milk",
                "300 g oats",
                "1.25 kg potato",
                "750 g rice",
                "750 g salmon",
                "500 g vegetable",
            ]
        );
        assert!(summed.unread.is_empty());
        assert_eq!(summed.items[0].sources, [1, 2, 3, 4, 5]);
    }

    proptest! {
        /// Summing is exact: an ingredient written n times in grams sums to n times its amount.
        #[test]
        fn sums_are_exact(grams in 1u64..5_000, times in 1usize..20) {
            let text = format!("{grams} g flour");
            let summed = aggregate((0..times).map(|i| (text.as_str(), i)));
            prop_assert_eq!(summed.items.len(), 1);
            prop_assert_eq!(summed.items[0].quantity, Quantity::int(grams * times as u64));
            prop_assert_eq!(summed.items[0].sources.len(), times);
        }
    }
}
