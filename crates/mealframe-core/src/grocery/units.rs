//! Units of a portion line: the table of spellings, the dimension of each unit, exact conversion
//! to the base unit of its dimension (g, ml; a count unit is its own base), and the unit a sum is
//! best printed in.
//!
//! Factors are exact: 1 oz = 28.349523125 g, 1 lb = 453.59237 g (international), 1 tsp = 5 ml,
//! 1 tbsp = 15 ml, 1 cup = 240 ml and 1 fl oz = 29.5735295625 ml (US). Count units never convert
//! to each other (a slice is not a can).

use std::fmt;

use super::quantity::Quantity;

/// What a unit measures; only units of one dimension can be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Mass,
    Volume,
    Count,
}

/// A unit of a portion line. `Piece` is the implicit unit of "2 eggs" and prints as nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Milligram,
    Gram,
    Kilogram,
    Ounce,
    Pound,
    Millilitre,
    Centilitre,
    Decilitre,
    Litre,
    Teaspoon,
    Tablespoon,
    Cup,
    FluidOunce,
    Piece,
    Slice,
    Clove,
    Can,
    Pack,
    Handful,
    Pinch,
    Scoop,
    Bunch,
    Jar,
    Bottle,
    Bag,
    Bar,
    Pot,
    Stick,
    Sprig,
    Stalk,
    Head,
    Dash,
    Sachet,
    Serving,
    Bowl,
    Glass,
    Mug,
    Rasher,
    Square,
}

impl Unit {
    pub const ALL: [Unit; 39] = [
        Unit::Milligram,
        Unit::Gram,
        Unit::Kilogram,
        Unit::Ounce,
        Unit::Pound,
        Unit::Millilitre,
        Unit::Centilitre,
        Unit::Decilitre,
        Unit::Litre,
        Unit::Teaspoon,
        Unit::Tablespoon,
        Unit::Cup,
        Unit::FluidOunce,
        Unit::Piece,
        Unit::Slice,
        Unit::Clove,
        Unit::Can,
        Unit::Pack,
        Unit::Handful,
        Unit::Pinch,
        Unit::Scoop,
        Unit::Bunch,
        Unit::Jar,
        Unit::Bottle,
        Unit::Bag,
        Unit::Bar,
        Unit::Pot,
        Unit::Stick,
        Unit::Sprig,
        Unit::Stalk,
        Unit::Head,
        Unit::Dash,
        Unit::Sachet,
        Unit::Serving,
        Unit::Bowl,
        Unit::Glass,
        Unit::Mug,
        Unit::Rasher,
        Unit::Square,
    ];

    pub fn dimension(self) -> Dimension {
        use Unit::*;
        match self {
            Milligram | Gram | Kilogram | Ounce | Pound => Dimension::Mass,
            Millilitre | Centilitre | Decilitre | Litre | Teaspoon | Tablespoon | Cup
            | FluidOunce => Dimension::Volume,
            _ => Dimension::Count,
        }
    }

    /// The base unit of the dimension: g, ml, or the count unit itself.
    pub fn base(self) -> Unit {
        match self.dimension() {
            Dimension::Mass => Unit::Gram,
            Dimension::Volume => Unit::Millilitre,
            Dimension::Count => self,
        }
    }

    /// How many base units one of this unit is, exactly.
    pub fn factor(self) -> Quantity {
        use Unit::*;
        let (num, den) = match self {
            Milligram => (1, 1000),
            Kilogram | Litre => (1000, 1),
            Ounce => (28_349_523_125, 1_000_000_000),
            Pound => (45_359_237, 100_000),
            Centilitre => (10, 1),
            Decilitre => (100, 1),
            Teaspoon => (5, 1),
            Tablespoon => (15, 1),
            Cup => (240, 1),
            FluidOunce => (295_735_295_625, 10_000_000_000),
            _ => (1, 1),
        };
        Quantity::new(num, den).unwrap_or(Quantity::ONE)
    }

    /// The symbol or word printed after a quantity; `None` for `Piece`. Unit words are plural
    /// when the quantity is more than one ("2 slices", "0.5 can", "1/3 cup").
    pub fn label(self, quantity: Quantity) -> Option<String> {
        use Unit::*;
        let symbol = match self {
            Milligram => "mg",
            Gram => "g",
            Kilogram => "kg",
            Ounce => "oz",
            Pound => "lb",
            Millilitre => "ml",
            Centilitre => "cl",
            Decilitre => "dl",
            Litre => "l",
            Teaspoon => "tsp",
            Tablespoon => "tbsp",
            FluidOunce => "fl oz",
            Piece => return None,
            _ => {
                let word = self.word();
                return Some(if quantity <= Quantity::ONE {
                    word.to_string()
                } else if word.ends_with("ch") || word.ends_with("sh") || word.ends_with("ss") {
                    format!("{word}es")
                } else {
                    format!("{word}s")
                });
            }
        };
        Some(symbol.to_string())
    }

    /// The singular English word of a unit.
    pub fn word(self) -> &'static str {
        use Unit::*;
        match self {
            Milligram => "milligram",
            Gram => "gram",
            Kilogram => "kilogram",
            Ounce => "ounce",
            Pound => "pound",
            Millilitre => "millilitre",
            Centilitre => "centilitre",
            Decilitre => "decilitre",
            Litre => "litre",
            Teaspoon => "teaspoon",
            Tablespoon => "tablespoon",
            Cup => "cup",
            FluidOunce => "fluid ounce",
            Piece => "piece",
            Slice => "slice",
            Clove => "clove",
            Can => "can",
            Pack => "pack",
            Handful => "handful",
            Pinch => "pinch",
            Scoop => "scoop",
            Bunch => "bunch",
            Jar => "jar",
            Bottle => "bottle",
            Bag => "bag",
            Bar => "bar",
            Pot => "pot",
            Stick => "stick",
            Sprig => "sprig",
            Stalk => "stalk",
            Head => "head",
            Dash => "dash",
            Sachet => "sachet",
            Serving => "serving",
            Bowl => "bowl",
            Glass => "glass",
            Mug => "mug",
            Rasher => "rasher",
            Square => "square",
        }
    }

    /// The unit a single word names, if any: symbols, singular and plural words, common
    /// misspellings and abbreviations with or without a final dot, and a few German and
    /// Slovenian words. Case matters only for `T` (tablespoon) vs `t` (teaspoon) and for the
    /// German `EL`/`TL`.
    pub fn from_word(word: &str) -> Option<Unit> {
        use Unit::*;
        match word {
            "T" | "EL" => return Some(Tablespoon),
            "t" | "TL" => return Some(Teaspoon),
            _ => {}
        }
        let w = word.strip_suffix('.').unwrap_or(word).to_lowercase();
        let unit = match w.as_str() {
            "mg" | "milligram" | "milligrams" | "milligramme" | "milligrammes" => Milligram,
            "g" | "gr" | "grs" | "gm" | "gms" | "gram" | "grams" | "gramme" | "grammes"
            | "gramm" | "grammi" => Gram,
            "kg" | "kgs" | "kilo" | "kilos" | "kilogram" | "kilograms" | "kilogramme"
            | "kilogrammes" => Kilogram,
            "oz" | "ounce" | "ounces" => Ounce,
            "lb" | "lbs" | "pound" | "pounds" => Pound,
            "ml" | "mls" | "millilitre" | "millilitres" | "milliliter" | "milliliters" => {
                Millilitre
            }
            "cl" | "centilitre" | "centilitres" | "centiliter" | "centiliters" => Centilitre,
            "dl" | "decilitre" | "decilitres" | "deciliter" | "deciliters" => Decilitre,
            "l" | "lt" | "ltr" | "litre" | "litres" | "liter" | "liters" => Litre,
            "tsp" | "tsps" | "teaspoon" | "teaspoons" | "žlička" | "žlički" | "žličke"
            | "žličk" => Teaspoon,
            "tbsp" | "tbsps" | "tbs" | "tbl" | "tblsp" | "tablespoon" | "tablespoons" | "žlica"
            | "žlici" | "žlice" | "žlic" => Tablespoon,
            "cup" | "cups" => Cup,
            "floz" => FluidOunce,
            "pc" | "pcs" | "piece" | "pieces" | "stk" | "stück" | "kos" | "kosa" | "kosi" => Piece,
            "slice" | "slices" | "scheibe" | "scheiben" | "rezina" | "rezini" | "rezine" => Slice,
            "clove" | "cloves" => Clove,
            "can" | "cans" | "tin" | "tins" | "dose" | "dosen" => Can,
            "pack" | "packs" | "packet" | "packets" | "package" | "packages" | "pkg" => Pack,
            "handful" | "handfuls" => Handful,
            "pinch" | "pinches" | "prise" => Pinch,
            "scoop" | "scoops" => Scoop,
            "bunch" | "bunches" => Bunch,
            "jar" | "jars" => Jar,
            "bottle" | "bottles" => Bottle,
            "bag" | "bags" => Bag,
            "bar" | "bars" => Bar,
            "pot" | "pots" | "tub" | "tubs" => Pot,
            "stick" | "sticks" => Stick,
            "sprig" | "sprigs" => Sprig,
            "stalk" | "stalks" => Stalk,
            "head" | "heads" => Head,
            "dash" | "dashes" | "splash" | "splashes" => Dash,
            "sachet" | "sachets" => Sachet,
            "serving" | "servings" | "portion" | "portions" => Serving,
            "bowl" | "bowls" => Bowl,
            "glass" | "glasses" => Glass,
            "mug" | "mugs" => Mug,
            "rasher" | "rashers" => Rasher,
            "square" | "squares" => Square,
            _ => return None,
        };
        Some(unit)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label(Quantity::int(2)).unwrap_or_default())
    }
}

/// `quantity` of `from` expressed in `to`; `None` across dimensions, between two different count
/// units, or on overflow.
pub fn convert(quantity: Quantity, from: Unit, to: Unit) -> Option<Quantity> {
    if from == to {
        return Some(quantity);
    }
    if from.dimension() != to.dimension() || from.dimension() == Dimension::Count {
        return None;
    }
    quantity
        .checked_mul(from.factor())?
        .checked_div(to.factor())
}

/// `quantity` of `unit` in the base unit of its dimension.
pub fn to_base(quantity: Quantity, unit: Unit) -> Option<(Quantity, Unit)> {
    Some((convert(quantity, unit, unit.base())?, unit.base()))
}

/// The unit a (summed) amount reads best in: metric, the largest of mg/g/kg or ml/l that keeps
/// the number at least 1 (so 1500 g → 1.5 kg, 0.5 g → 500 mg, 250 ml → 250 ml). Count units stay
/// as they are. Exact: the amount is the same, only expressed differently.
pub fn best_unit(quantity: Quantity, unit: Unit) -> (Quantity, Unit) {
    let candidates: &[Unit] = match unit.dimension() {
        Dimension::Mass => &[Unit::Kilogram, Unit::Gram, Unit::Milligram],
        Dimension::Volume => &[Unit::Litre, Unit::Millilitre],
        Dimension::Count => return (quantity, unit),
    };
    for &to in candidates {
        if let Some(q) = convert(quantity, unit, to)
            && (q >= Quantity::ONE || to == *candidates.last().unwrap_or(&to))
        {
            return (q, to);
        }
    }
    (quantity, unit)
}

/// The quantity and unit an amount reads best in: [`best_unit`], rounded to two decimals
/// (a count keeps a simple fraction such as 1/3).
pub fn readable(quantity: Quantity, unit: Unit) -> (Quantity, Unit) {
    let (q, u) = best_unit(quantity, unit);
    if q.denominator() > 100 || u.dimension() != Dimension::Count {
        (q.round_to(100), u)
    } else {
        (q, u)
    }
}

/// A shopping-list amount, [`readable`] (`1.5 kg`, `283.5 g`, `3 cans`, `2` for pieces).
pub fn format_amount(quantity: Quantity, unit: Unit) -> String {
    let (q, u) = readable(quantity, unit);
    match u.label(q) {
        Some(label) => format!("{q} {label}"),
        None => q.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(n: u64, d: u64) -> Quantity {
        Quantity::new(n, d).unwrap()
    }

    #[test]
    fn spellings_map_to_units() {
        for (w, u) in [
            ("g", Unit::Gram),
            ("grams", Unit::Gram),
            ("gr", Unit::Gram),
            ("g.", Unit::Gram),
            ("Tablespoons", Unit::Tablespoon),
            ("tbs", Unit::Tablespoon),
            ("T", Unit::Tablespoon),
            ("t", Unit::Teaspoon),
            ("EL", Unit::Tablespoon),
            ("TL", Unit::Teaspoon),
            ("litre", Unit::Litre),
            ("liter", Unit::Litre),
            ("pcs", Unit::Piece),
            ("slices", Unit::Slice),
            ("žlica", Unit::Tablespoon),
        ] {
            assert_eq!(Unit::from_word(w), Some(u), "{w}");
        }
        assert_eq!(Unit::from_word("egg"), None);
        assert_eq!(Unit::from_word("el"), None);
    }

    #[test]
    fn conversions_are_exact() {
        assert_eq!(
            convert(q(3, 2), Unit::Kilogram, Unit::Gram),
            Some(q(1500, 1))
        );
        assert_eq!(
            convert(q(3, 1), Unit::Teaspoon, Unit::Tablespoon),
            Some(Quantity::ONE)
        );
        assert_eq!(
            convert(Quantity::ONE, Unit::Pound, Unit::Gram),
            Some(q(45359237, 100000))
        );
        assert_eq!(convert(Quantity::ONE, Unit::Gram, Unit::Millilitre), None);
        assert_eq!(convert(Quantity::ONE, Unit::Slice, Unit::Can), None);
    }

    #[test]
    fn best_unit_reads_well() {
        assert_eq!(format_amount(q(1500, 1), Unit::Gram), "1.5 kg");
        assert_eq!(format_amount(q(1, 2), Unit::Gram), "500 mg");
        assert_eq!(format_amount(q(250, 1), Unit::Millilitre), "250 ml");
        assert_eq!(format_amount(q(4, 1), Unit::Tablespoon), "60 ml");
        assert_eq!(format_amount(q(10, 1), Unit::Ounce), "283.5 g");
        assert_eq!(format_amount(q(3, 1), Unit::Can), "3 cans");
        assert_eq!(format_amount(Quantity::ONE, Unit::Pinch), "1 pinch");
        assert_eq!(format_amount(q(2, 1), Unit::Piece), "2");
    }

    fn same_dimension_pair() -> impl Strategy<Value = (Unit, Unit)> {
        (0usize..Unit::ALL.len(), 0usize..Unit::ALL.len()).prop_filter_map(
            "same dimension",
            |(a, b)| {
                let (a, b) = (Unit::ALL[a], Unit::ALL[b]);
                (a.dimension() == b.dimension() && (a.dimension() != Dimension::Count || a == b))
                    .then_some((a, b))
            },
        )
    }

    proptest! {
        #[test]
        fn conversions_round_trip_within_a_dimension((a, b) in same_dimension_pair(), n in 0u64..1_000_000, d in 1u64..1000) {
            let x = q(n, d);
            let there = convert(x, a, b).unwrap();
            prop_assert_eq!(convert(there, b, a).unwrap(), x);
        }

        #[test]
        fn best_unit_keeps_the_amount(i in 0usize..Unit::ALL.len(), n in 0u64..10_000_000, d in 1u64..1000) {
            let (x, u) = (q(n, d), Unit::ALL[i]);
            let (y, v) = best_unit(x, u);
            prop_assert_eq!(to_base(y, v), to_base(x, u));
        }
    }
}
