//! A shopping list as a person sees it: the summed plan ([`aggregate`](super::aggregate)) with
//! what they did to it — items checked off, removed, left at home as pantry staples, moved to
//! another aisle — and what changed since they last acted on it. Pure: the use case reads the
//! plan and the stored marks, this decides what the list shows.
//!
//! The rules:
//!
//! - **Item key.** An item is one ingredient in one addable unit: `"oats|gram"`,
//!   `"milk|millilitre"`, `"egg|piece"`, `"bread|slice"` ([`item_key`]). Check-offs and removals are stored by it.
//! - **A check-off covers an amount.** Checking an item records the exact amount it needed then.
//!   It stays checked while the plan needs no more than that (the days of the trip pass, a meal
//!   is swapped for a lighter one). When the plan needs more, it is unchecked again and says how
//!   much was already bought ([`ListItem::bought`]), so a regeneration never hides a shortfall.
//! - **Removed** items ("I have it") are listed apart, whatever the amount, until restored.
//! - **Staples** (the built-in [`is_staple`] list, or the person's own choice per ingredient) are
//!   listed apart unless asked for.
//! - **Aisle**: the person's choice for the ingredient, else the built-in dictionary
//!   ([`category_of`]). Items are in store order (by aisle), then by name.
//! - **What changed**: the list as last acted on is kept as a snapshot ([`snapshot`]); against
//!   it, an item is new, needs more or needs less, and an item that left the plan is gone. No
//!   snapshot (never acted on): nothing is reported.

use std::collections::HashMap;

use super::{
    aggregate::{Item, Summed, Unread, print_amount, shown_in},
    category::{Category, category_of, is_staple},
    quantity::Quantity,
    units::Unit,
};

/// The key an item's check-off and removal are stored under.
pub fn item_key(ingredient: &str, unit: Unit) -> String {
    format!("{ingredient}|{}", unit.word())
}

/// What is stored about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    /// The amount (in the item's base unit) it was checked off at.
    pub checked: Option<Quantity>,
    pub removed: bool,
}

/// A person's decision about an ingredient (`None`: the built-in rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    pub category: Option<Category>,
    pub staple: Option<bool>,
}

/// How an item changed since the list was last acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    /// The plan needs more; `was` is the amount shown then.
    More {
        was: String,
    },
    Less {
        was: String,
    },
}

/// One thing to buy, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem<S> {
    pub key: String,
    /// The ingredient key (aisle and staple decisions are stored by it).
    pub ingredient: String,
    pub name: String,
    /// Exact, in `unit` (g or ml for mass and volume, else the count unit).
    pub quantity: Quantity,
    pub unit: Unit,
    /// As printed: "1.5 kg", "5 tbsp", "6", "2 slices".
    pub amount: String,
    /// The amount in the unit it prints in (see `shown_in`), and that unit.
    pub display_quantity: Quantity,
    pub display_unit: Unit,
    pub category: Category,
    pub checked: bool,
    pub staple: bool,
    /// Checked off at a smaller amount than the plan now needs: what was bought.
    pub bought: Option<String>,
    pub change: Option<Change>,
    pub sources: Vec<S>,
}

/// An item that was on the list last time and no longer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gone {
    pub key: String,
    pub name: String,
    pub amount: String,
}

/// The list as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShoppingList<S> {
    /// To buy, by aisle then name. Staples only when asked for.
    pub items: Vec<ListItem<S>>,
    /// Staples left off (empty when they are included in `items`).
    pub staples: Vec<ListItem<S>>,
    /// Removed by the person.
    pub removed: Vec<ListItem<S>>,
    /// Lines of portions that could not be read, verbatim.
    pub unread: Vec<Unread<S>>,
    pub gone: Vec<Gone>,
}

impl<S> ShoppingList<S> {
    /// Whether anything changed since the list was last acted on.
    pub fn changed(&self) -> bool {
        !self.gone.is_empty() || self.items.iter().any(|i| i.change.is_some())
    }
}

/// Encode what the list shows (`items`) to compare with next time.
pub fn snapshot<S>(items: &[ListItem<S>]) -> String {
    let mut out = String::new();
    for i in items {
        // Names and amounts never hold tabs or new lines (the parser splits on them).
        let clean = |s: &str| s.replace(['\t', '\n'], " ");
        out.push_str(&format!(
            "{}\t{}/{}\t{}\t{}\n",
            clean(&i.key),
            i.quantity.numerator(),
            i.quantity.denominator(),
            clean(&i.name),
            clean(&i.amount)
        ));
    }
    out
}

struct Seen {
    quantity: Quantity,
    name: String,
    amount: String,
}

fn read_snapshot(text: &str) -> HashMap<String, Seen> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let key = parts.next()?.to_owned();
            let quantity = parse_fraction(parts.next()?)?;
            Some((
                key,
                Seen {
                    quantity,
                    name: parts.next()?.to_owned(),
                    amount: parts.next()?.to_owned(),
                },
            ))
        })
        .collect()
}

/// `"n/d"`, as stored for check-offs and snapshots.
pub fn parse_fraction(text: &str) -> Option<Quantity> {
    let (n, d) = text.split_once('/')?;
    Quantity::new(n.parse().ok()?, d.parse().ok()?)
}

/// `"n/d"` of a quantity.
pub fn fraction(q: Quantity) -> String {
    format!("{}/{}", q.numerator(), q.denominator())
}

/// Build the list from the summed plan and what the person did.
pub fn build<S>(
    summed: Summed<S>,
    marks: &HashMap<String, Mark>,
    decisions: &HashMap<String, Decision>,
    seen: Option<&str>,
    include_staples: bool,
) -> ShoppingList<S> {
    let mut seen = seen.filter(|s| !s.is_empty()).map(read_snapshot);
    let mut list = ShoppingList {
        items: Vec::new(),
        staples: Vec::new(),
        removed: Vec::new(),
        unread: summed.unread,
        gone: Vec::new(),
    };
    for item in summed.items {
        let shown = show(item, marks, decisions);
        if shown.1 {
            list.removed.push(shown.0);
        } else if shown.0.staple && !include_staples {
            list.staples.push(shown.0);
        } else {
            list.items.push(shown.0);
        }
    }
    let order = |i: &ListItem<S>| (i.category, i.name.to_lowercase(), i.key.clone());
    list.items.sort_by_cached_key(order);
    list.staples.sort_by_cached_key(order);
    list.removed.sort_by_cached_key(order);
    if let Some(seen) = seen.as_mut() {
        for item in &mut list.items {
            item.change = match seen.remove(&item.key) {
                None => Some(Change::Added),
                Some(s) if item.quantity > s.quantity => Some(Change::More { was: s.amount }),
                Some(s) if item.quantity < s.quantity => Some(Change::Less { was: s.amount }),
                Some(_) => None,
            };
        }
        // What the person moved away themselves did not "go".
        for i in list.staples.iter().chain(&list.removed) {
            seen.remove(&i.key);
        }
        let mut gone: Vec<Gone> = seen
            .drain()
            .map(|(key, s)| Gone {
                key,
                name: s.name,
                amount: s.amount,
            })
            .collect();
        gone.sort_by(|a, b| (&a.name, &a.key).cmp(&(&b.name, &b.key)));
        list.gone = gone;
    }
    list
}

/// One item as shown, and whether it was removed.
fn show<S>(
    item: Item<S>,
    marks: &HashMap<String, Mark>,
    decisions: &HashMap<String, Decision>,
) -> (ListItem<S>, bool) {
    let key = item_key(&item.key, item.unit);
    let mark = marks.get(&key).copied().unwrap_or_default();
    let decision = decisions.get(&item.key).copied().unwrap_or_default();
    let amount = item.amount();
    let (display_quantity, display_unit) = shown_in(item.quantity, item.unit, item.by_the_spoon);
    let checked = mark.checked.is_some_and(|c| c >= item.quantity);
    let bought = mark
        .checked
        .filter(|_| !checked)
        .map(|c| print_amount(c, item.unit, item.by_the_spoon));
    (
        ListItem {
            category: decision.category.unwrap_or_else(|| category_of(&item.key)),
            staple: decision.staple.unwrap_or_else(|| is_staple(&item.key)),
            ingredient: item.key,
            key,
            name: item.name,
            quantity: item.quantity,
            unit: item.unit,
            amount,
            display_quantity,
            display_unit,
            checked,
            bought,
            change: None,
            sources: item.sources,
        },
        mark.removed,
    )
}

#[cfg(test)]
mod tests {
    use super::super::aggregate::aggregate;
    use super::*;

    fn summed(portions: &[&'static str]) -> Summed<u32> {
        aggregate(portions.iter().copied().zip(1..))
    }

    fn marks(list: &[(&str, Mark)]) -> HashMap<String, Mark> {
        list.iter().map(|(k, m)| ((*k).to_owned(), *m)).collect()
    }

    fn checked(n: u64) -> Mark {
        Mark {
            checked: Some(Quantity::int(n)),
            removed: false,
        }
    }

    fn shown(list: &ShoppingList<u32>) -> Vec<(String, String, bool)> {
        list.items
            .iter()
            .map(|i| (i.key.clone(), i.amount.clone(), i.checked))
            .collect()
    }

    #[test]
    fn a_check_off_holds_while_the_plan_needs_no_more_than_it_covered() {
        let plan = summed(&["300 g oats + 2 eggs", "1 l milk"]);
        let m = marks(&[
            ("oats|gram", checked(300)),
            ("egg|piece", checked(1)),
            ("milk|millilitre", checked(2000)),
        ]);
        let list = build(plan, &m, &HashMap::new(), None, false);
        assert_eq!(
            shown(&list),
            [
                ("egg|piece".into(), "2".into(), false),
                ("milk|millilitre".into(), "1 l".into(), true),
                ("oats|gram".into(), "300 g".into(), true),
            ]
        );
        assert_eq!(
            list.items[0].bought.as_deref(),
            Some("1"),
            "one egg was bought"
        );
        assert_eq!(list.items[1].bought, None);
    }

    #[test]
    fn staples_and_removed_items_are_listed_apart() {
        let plan = summed(&["1 tsp salt + 200 g rice + 1 tbsp olive oil + 1 apple"]);
        let m = marks(&[(
            "rice|gram",
            Mark {
                checked: None,
                removed: true,
            },
        )]);
        let list = build(plan.clone(), &m, &HashMap::new(), None, false);
        let keys = |l: &[ListItem<u32>]| l.iter().map(|i| i.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&list.items), ["apple|piece"]);
        assert_eq!(keys(&list.removed), ["rice|gram"]);
        assert_eq!(keys(&list.staples).len(), 2);

        // Asked for, staples are on the list; a person can also decide salt is not a staple.
        let all = build(plan.clone(), &m, &HashMap::new(), None, true);
        assert_eq!(all.items.len(), 3);
        assert!(all.staples.is_empty());
        let d: HashMap<String, Decision> = [(
            "salt".to_owned(),
            Decision {
                staple: Some(false),
                category: Some(Category::Snacks),
            },
        )]
        .into();
        let mine = build(plan, &m, &d, None, false);
        let salt = mine.items.iter().find(|i| i.ingredient == "salt").unwrap();
        assert_eq!(salt.category, Category::Snacks);
    }

    #[test]
    fn items_are_in_store_order_by_aisle() {
        let list = build(
            summed(&["1 apple + 100 g chicken breast + 200 ml milk + 1 banana"]),
            &HashMap::new(),
            &HashMap::new(),
            None,
            false,
        );
        let order: Vec<(Category, &str)> = list
            .items
            .iter()
            .map(|i| (i.category, i.name.as_str()))
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        assert_eq!(order[0], (Category::Produce, "apple"));
    }

    #[test]
    fn a_regeneration_shows_what_was_added_changed_and_gone() {
        let before = build(
            summed(&["300 g oats + 2 eggs + 100 g tofu"]),
            &HashMap::new(),
            &HashMap::new(),
            None,
            false,
        );
        assert!(!before.changed(), "no snapshot: nothing to report");
        let seen = snapshot(&before.items);
        let after = build(
            summed(&["400 g oats + 1 egg + 1 banana"]),
            &HashMap::new(),
            &HashMap::new(),
            Some(&seen),
            false,
        );
        let changes: Vec<(&str, Option<Change>)> = after
            .items
            .iter()
            .map(|i| (i.ingredient.as_str(), i.change.clone()))
            .collect();
        assert!(changes.contains(&("banana", Some(Change::Added))));
        assert!(changes.contains(&(
            "oats",
            Some(Change::More {
                was: "300 g".into()
            })
        )));
        assert!(changes.contains(&("egg", Some(Change::Less { was: "2".into() }))));
        assert_eq!(
            after.gone,
            [Gone {
                key: "tofu|gram".into(),
                name: "tofu".into(),
                amount: "100 g".into()
            }]
        );
        assert!(after.changed());
        let same = build(
            summed(&["300 g oats + 2 eggs + 100 g tofu"]),
            &HashMap::new(),
            &HashMap::new(),
            Some(&seen),
            false,
        );
        assert!(!same.changed());
    }

    #[test]
    fn fractions_round_trip_through_their_stored_text() {
        let q = Quantity::new(10, 3).unwrap();
        assert_eq!(parse_fraction(&fraction(q)), Some(q));
        assert_eq!(parse_fraction("1/0"), None);
        assert_eq!(parse_fraction("x"), None);
    }
}
