//! Exact non-negative quantities: reduced fractions of `u64`, so `1/3 + 2/3` is exactly `1` and a
//! week of `0.1 l` sums to exactly `0.7 l`. Every operation is checked: on overflow it returns
//! `None` instead of a wrong number.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative rational number, always stored reduced (`num/den`, `den > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    num: u64,
    den: u64,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Quantity {
    pub const ZERO: Quantity = Quantity { num: 0, den: 1 };
    pub const ONE: Quantity = Quantity { num: 1, den: 1 };

    /// `num/den`, reduced; `None` when `den` is zero.
    pub fn new(num: u64, den: u64) -> Option<Quantity> {
        Self::from_wide(u128::from(num), u128::from(den))
    }

    /// A whole number.
    pub fn int(n: u64) -> Quantity {
        Quantity { num: n, den: 1 }
    }

    fn from_wide(num: u128, den: u128) -> Option<Quantity> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Quantity {
            num: u64::try_from(num / g).ok()?,
            den: u64::try_from(den / g).ok()?,
        })
    }

    pub fn numerator(self) -> u64 {
        self.num
    }

    pub fn denominator(self) -> u64 {
        self.den
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        let (a, b) = (u128::from(self.num), u128::from(self.den));
        let (c, d) = (u128::from(other.num), u128::from(other.den));
        Self::from_wide(a.checked_mul(d)?.checked_add(c.checked_mul(b)?)?, b * d)
    }

    pub fn checked_mul(self, other: Quantity) -> Option<Quantity> {
        let num = u128::from(self.num) * u128::from(other.num);
        let den = u128::from(self.den) * u128::from(other.den);
        Self::from_wide(num, den)
    }

    /// `self / other`; `None` when `other` is zero or on overflow.
    pub fn checked_div(self, other: Quantity) -> Option<Quantity> {
        let num = u128::from(self.num) * u128::from(other.den);
        let den = u128::from(self.den) * u128::from(other.num);
        Self::from_wide(num, den)
    }

    /// Rounded half up to a multiple of `1/den` (for display only; sums stay exact).
    pub fn round_to(self, den: u64) -> Quantity {
        let scaled = (u128::from(self.num) * u128::from(den) * 2 + u128::from(self.den))
            / (u128::from(self.den) * 2);
        Self::from_wide(scaled, u128::from(den)).unwrap_or(self)
    }

    /// Whether the decimal expansion terminates (the denominator has only factors 2 and 5).
    fn terminates(self) -> bool {
        let mut d = self.den;
        while d.is_multiple_of(2) {
            d /= 2;
        }
        while d.is_multiple_of(5) {
            d /= 5;
        }
        d == 1
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        (u128::from(self.num) * u128::from(other.den))
            .cmp(&(u128::from(other.num) * u128::from(self.den)))
    }
}

/// Whole numbers as `2`, terminating fractions as exact decimals with a point (`1.5`, `0.125`),
/// the rest as (mixed) fractions (`1/3`, `1 2/3`).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.num / self.den;
        let rest = self.num % self.den;
        if rest == 0 {
            return write!(f, "{whole}");
        }
        if self.terminates() {
            let mut digits = String::new();
            let mut r = u128::from(rest);
            let den = u128::from(self.den);
            while r != 0 {
                r *= 10;
                digits.push(char::from(b'0' + (r / den) as u8));
                r %= den;
            }
            return write!(f, "{whole}.{digits}");
        }
        if whole == 0 {
            write!(f, "{rest}/{}", self.den)
        } else {
            write!(f, "{whole} {rest}/{}", self.den)
        }
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
    fn reduces_and_prints_exactly() {
        assert_eq!(q(2, 4), q(1, 2));
        assert_eq!(q(3, 2).to_string(), "1.5");
        assert_eq!(q(1, 8).to_string(), "0.125");
        assert_eq!(q(1, 3).to_string(), "1/3");
        assert_eq!(q(5, 3).to_string(), "1 2/3");
        assert_eq!(Quantity::int(60).to_string(), "60");
        assert_eq!(Quantity::new(1, 0), None);
    }

    #[test]
    fn sums_are_exact() {
        let tenth = q(1, 10);
        let mut sum = Quantity::ZERO;
        for _ in 0..7 {
            sum = sum.checked_add(tenth).unwrap();
        }
        assert_eq!(sum, q(7, 10));
        assert_eq!(q(1, 3).checked_add(q(2, 3)), Some(Quantity::ONE));
    }

    #[test]
    fn rounds_for_display() {
        assert_eq!(q(28349523125, 1000000000).round_to(10), q(283, 10));
        assert_eq!(q(1, 3).round_to(100), q(33, 100));
    }

    proptest! {
        #[test]
        fn arithmetic_agrees_with_cross_multiplication(a in 0u64..1_000_000, b in 1u64..1000, c in 0u64..1_000_000, d in 1u64..1000) {
            let (x, y) = (q(a, b), q(c, d));
            prop_assert_eq!(x.checked_add(y).unwrap(), q(a * d + c * b, b * d));
            prop_assert_eq!(x.checked_mul(y).unwrap(), q(a * c, b * d));
            prop_assert_eq!(x < y, u128::from(a) * u128::from(d) < u128::from(c) * u128::from(b));
            if c > 0 {
                prop_assert_eq!(x.checked_div(y).unwrap().checked_mul(y).unwrap(), x);
            }
        }
    }
}
