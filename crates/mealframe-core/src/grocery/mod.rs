//! Grocery lists (issue 11): reading a meal's free-text portion into ingredient lines, and summing
//! the lines of many portions into a list ([`aggregate`]: by key and addable unit, exact, with
//! sources; see `aggregate.rs`), filing each key under a store aisle ([`category_of`]) or
//! among the pantry staples ([`is_staple`]; see `category.rs`), and the list as a person sees
//! it ([`build`]: check-offs that cover an amount, removals, staples, what changed since last
//! time; see `list.rs`).
//!
//! [`parse_portion`] turns "60 g oats + 250 ml milk + 1 banana" into lines of quantity, unit,
//! name and aggregation key. The rules, in order:
//!
//! - **Splitting.** A portion splits on `+ , ; &`, line breaks, and the words `and`, `with`
//!   (always) and `in` (only before a number: "whey in 300 ml water", not "tuna in brine") —
//!   never inside `()[]{}`, never at a decimal comma between two digits ("1,5 l"), and not in
//!   "mac and cheese", "salt and vinegar", "sweet and sour". A piece made only of descriptors
//!   (", grilled") adds them to the previous line's note. Bullets and a final full stop go.
//! - **Quantity.** Exact ([`Quantity`], a reduced fraction, never `f64`): `60`, `1.5`, `1,5`,
//!   `1/2`, `½ ¼ ¾ ⅓ ⅔ ⅛…`, mixed `1 1/2` / `1½`. A range `2-3`, `2–3`, `2 to 3` counts its upper
//!   bound (buy enough) and notes "2–3". A multiplier `2x 30 g`, `2 × 30 g`, `bar x2` multiplies
//!   (60 g) and notes "2 × 30 g" when it scaled a measured amount. `a`/`an`/`one`…`ten` are
//!   numbers, `half (a)` is ½, `a couple (of)` 2, `dozen` 12. Vague "some", "a few", "a bit of"
//!   mean 1 and stay as a note. No amount at all means 1 of the thing ("banana" → 1 banana), so
//!   every named ingredient reaches the list.
//! - **Unit.** See [`Unit::from_word`]: metric, imperial and US kitchen units in their common
//!   spellings and plurals, glued to the number or not ("60g"), `T` = tbsp, `t` = tsp, German
//!   `EL`/`TL`, a few Slovenian words, and count units (slice, clove, can, pack, handful, …).
//!   A unit word without an amount is a unit only before "of" ("slice of bread"); "of" after
//!   the unit is dropped. No unit is [`Unit::Piece`]. A capitalised English count word before
//!   another capitalised word is a brand, not a unit ("1 Pot Noodle").
//! - **Name and key.** The rest of the line. Preparation and size words (cooked, raw, grilled,
//!   sliced, chopped, boiled, scrambled, fresh, large, dry, finely…) move to the note, as does
//!   text in parentheses; product-defining words (frozen, dried, smoked, canned, wholegrain,
//!   ground, Greek; "baked" in "baked beans", "minced" in "minced beef") stay in the name.
//!   A trailing "to taste", "optional", "as needed" is a note too. The last word becomes
//!   singular (eggs → egg, berries → berry, tomatoes → tomato, leaves → leaf) except plural-only
//!   names (oats, noodles, greens, chips, …); "hummus", "couscous" are left alone by the rules.
//!   The key is the name in lower case.
//! - **Unparsed.** A line stays [`Line::Unparsed`], verbatim, when it has no name with a letter
//!   ("60 g", "2 slices"), starts with digits that are not a readable number, has a name longer than six
//!   words (a sentence, not an ingredient), or names something that cannot be bought
//!   ("everything", "leftovers", "whatever", "restaurant", "out", …). Text is never dropped.

mod aggregate;
pub mod assist;
mod category;
mod list;
mod parse;
mod quantity;
mod units;

pub use aggregate::{Item, Summed, Unread, aggregate, print_amount, shown_in};
pub use category::{Category, category_of, is_staple};
pub use list::{
    Change, Decision, Gone, ListItem, Mark, ShoppingList, build, fraction, item_key,
    parse_fraction, snapshot,
};
pub use parse::{Ingredient, Line, parse_portion, singular};
pub use quantity::Quantity;
pub use units::{Dimension, Unit, best_unit, convert, format_amount, readable, to_base};
