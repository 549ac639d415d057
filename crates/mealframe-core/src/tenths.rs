//! Decimal values as scaled integers.
//!
//! The original stores macros as `NUMERIC(6,1)` and prints them as JSON strings with one decimal
//! (`"18.0"`); PostgreSQL rounds half away from zero on the way in (`1.25` → `1.3`). We store
//! integer tenths on both engines and reproduce that rounding here, exactly, from the decimal text
//! (never through binary floating point, where `0.15` is not `0.15`).

use std::fmt;

/// Why a text is not an acceptable decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("Input should be a valid decimal")]
    Syntax,
    #[error("Input should be a finite number")]
    NotFinite,
    #[error("Decimal input is too large")]
    Overflow,
}

/// Parse a decimal text (`"18"`, `"-1.25"`, `"1e3"`, `".5"`) into an integer count of
/// `10^-scale` units, rounding half away from zero.
pub fn parse_scaled(text: &str, scale: u32) -> Result<i64, DecimalError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if ["nan", "inf", "infinity", "snan"].contains(&unsigned) {
        return Err(DecimalError::NotFinite);
    }
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => {
            let exp: i32 = body[i + 1..].parse().map_err(|_| DecimalError::Syntax)?;
            (&body[..i], exp)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::Syntax);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::Syntax);
    }
    // All digits as one integer string, with the decimal point `point` digits from the left.
    let digits: String = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let point = i64::from(exponent) - frac_part.len() as i64 + i64::from(scale);
    // value in units = digits * 10^point
    if digits.is_empty() {
        return Ok(0);
    }
    let magnitude: i64 = if point >= 0 {
        if digits.len() as i64 + point > 18 {
            return Err(DecimalError::Overflow);
        }
        let base: i64 = digits.parse().map_err(|_| DecimalError::Overflow)?;
        base.checked_mul(10i64.pow(point as u32))
            .ok_or(DecimalError::Overflow)?
    } else {
        let cut = (-point) as usize;
        let (keep, dropped) = if cut >= digits.len() {
            ("", digits)
        } else {
            digits.split_at(digits.len() - cut)
        };
        let dropped_full = if cut > digits.len() { 0 } else { dropped.len() };
        if keep.len() > 18 {
            return Err(DecimalError::Overflow);
        }
        let kept: i64 = if keep.is_empty() {
            0
        } else {
            keep.parse().map_err(|_| DecimalError::Overflow)?
        };
        // Round half away from zero on the first dropped digit (only when it really is the
        // digit right after the kept ones).
        let round_up =
            dropped_full == cut && dropped.as_bytes().first().is_some_and(|d| *d >= b'5');
        kept + i64::from(round_up)
    };
    Ok(if negative { -magnitude } else { magnitude })
}

/// Format `units` (in `10^-scale`) with exactly `scale` decimals: `185, 1` → `"18.5"`.
pub fn format_scaled(units: i64, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let div = 10i64.pow(scale);
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / div as u64,
        abs % div as u64,
        width = scale as usize
    )
}

/// A macro value in tenths (one decimal), as the original's `NUMERIC(6,1)`: 0 ≤ v ≤ 99999.9.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Tenths(i32);

/// The largest value a `NUMERIC(6,1)` column holds, in tenths.
pub const MAX_TENTHS: i32 = 999_999;

impl Tenths {
    pub const ZERO: Tenths = Tenths(0);

    /// Parse decimal text, rounding to one decimal. Negative or too-large values are refused
    /// with [`TenthsError`] so the caller can word the message for its field.
    pub fn parse(text: &str) -> Result<Tenths, TenthsError> {
        let units = parse_scaled(text, 1).map_err(TenthsError::Decimal)?;
        Tenths::from_units(units)
    }

    pub fn from_units(units: i64) -> Result<Tenths, TenthsError> {
        if units < 0 {
            Err(TenthsError::Negative)
        } else if units > i64::from(MAX_TENTHS) {
            Err(TenthsError::TooLarge)
        } else {
            Ok(Tenths(units as i32))
        }
    }

    /// From a stored column value (trusted: the schema checks the range).
    pub fn from_db(v: i32) -> Tenths {
        Tenths(v)
    }

    pub fn get(self) -> i32 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(i64::from(self.0), 1))
    }
}

impl fmt::Debug for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tenths({self})")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TenthsError {
    #[error(transparent)]
    Decimal(DecimalError),
    #[error("Input should be greater than or equal to 0")]
    Negative,
    #[error("Input should be less than or equal to 99999.9")]
    TooLarge,
}

/// Format a `f64` the way it would be written in JSON source (shortest round-trip form), so that
/// a JSON number such as `0.15` is parsed from the text `"0.15"`, not from its binary value.
pub fn f64_text(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_half_away_from_zero_like_numeric() {
        assert_eq!(parse_scaled("1.25", 1), Ok(13));
        assert_eq!(parse_scaled("1.24", 1), Ok(12));
        assert_eq!(parse_scaled("-1.25", 1), Ok(-13));
        assert_eq!(parse_scaled("0.15", 1), Ok(2));
        assert_eq!(parse_scaled("0.05", 1), Ok(1));
        assert_eq!(parse_scaled("0.049", 1), Ok(0));
        assert_eq!(parse_scaled("0.0049", 1), Ok(0));
        assert_eq!(parse_scaled(".5", 0), Ok(1));
    }

    #[test]
    fn reads_integers_exponents_and_signs() {
        assert_eq!(parse_scaled("18", 1), Ok(180));
        assert_eq!(parse_scaled("+18.0", 1), Ok(180));
        assert_eq!(parse_scaled("1e3", 1), Ok(10_000));
        assert_eq!(parse_scaled("1.5E-1", 1), Ok(2));
        assert_eq!(parse_scaled("0078", 0), Ok(78));
        assert_eq!(parse_scaled("0.78", 2), Ok(78));
    }

    #[test]
    fn refuses_garbage_and_non_finite_values() {
        for bad in ["", ".", "abc", "1.2.3", "1,5", "--1", "1e", "e5", "0x10"] {
            assert_eq!(parse_scaled(bad, 1), Err(DecimalError::Syntax), "{bad:?}");
        }
        for nf in ["NaN", "nan", "inf", "-Infinity", "+inf"] {
            assert_eq!(parse_scaled(nf, 1), Err(DecimalError::NotFinite), "{nf:?}");
        }
        assert_eq!(parse_scaled("1e40", 1), Err(DecimalError::Overflow));
    }

    #[test]
    fn formats_with_exactly_the_scale() {
        assert_eq!(format_scaled(180, 1), "18.0");
        assert_eq!(format_scaled(5, 1), "0.5");
        assert_eq!(format_scaled(750, 3), "0.750");
        assert_eq!(format_scaled(-13, 1), "-1.3");
        assert_eq!(format_scaled(871, 0), "871");
    }

    #[test]
    fn tenths_stay_within_the_original_column_range() {
        assert_eq!(Tenths::parse("99999.9").unwrap().to_string(), "99999.9");
        assert_eq!(Tenths::parse("99999.96"), Err(TenthsError::TooLarge));
        assert_eq!(Tenths::parse("-0.1"), Err(TenthsError::Negative));
        assert_eq!(
            Tenths::parse("-0.04").unwrap(),
            Tenths::ZERO,
            "rounds to zero first, like NUMERIC"
        );
    }

    #[test]
    fn json_numbers_are_read_from_their_text() {
        assert_eq!(Tenths::parse(&f64_text(0.15)).unwrap().to_string(), "0.2");
        assert_eq!(Tenths::parse(&f64_text(18.0)).unwrap().to_string(), "18.0");
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_is_the_identity(units in -10_000_000i64..10_000_000) {
            prop_assert_eq!(parse_scaled(&format_scaled(units, 1), 1), Ok(units));
        }
    }
}
