//! Adherence (ADR-012): `followed / (total − equivalent − social − unmarked)`. Skipped and
//! deviated count against; equivalent, social and unmarked are neutral. Printed with three
//! decimals, rounded half up (`"0.750"`, `"1.000"`); `"0"` when nothing counts.

use super::completion::CompletionStatus;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub followed: u32,
    pub equivalent: u32,
    pub skipped: u32,
    pub deviated: u32,
    pub social: u32,
    pub unmarked: u32,
}

impl StatusCounts {
    pub fn add(&mut self, status: Option<CompletionStatus>) {
        match status {
            None => self.unmarked += 1,
            Some(CompletionStatus::Followed) => self.followed += 1,
            Some(CompletionStatus::Equivalent) => self.equivalent += 1,
            Some(CompletionStatus::Skipped) => self.skipped += 1,
            Some(CompletionStatus::Deviated) => self.deviated += 1,
            Some(CompletionStatus::Social) => self.social += 1,
        }
    }

    pub fn total(&self) -> u32 {
        self.followed + self.equivalent + self.skipped + self.deviated + self.social + self.unmarked
    }

    pub fn marked(&self) -> u32 {
        self.total() - self.unmarked
    }

    /// The slots adherence is judged on.
    pub fn denominator(&self) -> u32 {
        self.followed + self.skipped + self.deviated
    }

    /// The rate as an exact fraction (for sorting); `None` when the denominator is zero.
    pub fn ratio(&self) -> Option<(u32, u32)> {
        let d = self.denominator();
        (d > 0).then_some((self.followed, d))
    }

    pub fn rate(&self) -> String {
        rate_string(self.followed, self.denominator())
    }
}

/// `num/den` with three decimals, half up; `"0"` for a zero denominator.
pub fn rate_string(num: u32, den: u32) -> String {
    if den == 0 {
        return "0".to_owned();
    }
    let thousandths = (u64::from(num) * 2000 + u64::from(den)) / (2 * u64::from(den));
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// Divide and round half up to an integer (for averages of non-negative sums).
pub fn div_half_up(sum: i64, n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    (2 * sum + n).div_euclid(2 * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_to_three_decimals() {
        assert_eq!(rate_string(3, 4), "0.750");
        assert_eq!(rate_string(2, 2), "1.000");
        assert_eq!(rate_string(1, 3), "0.333");
        assert_eq!(rate_string(2, 3), "0.667");
        assert_eq!(rate_string(1, 8), "0.125");
        assert_eq!(rate_string(1, 16), "0.063", "0.0625 rounds up");
        assert_eq!(rate_string(0, 0), "0");
        assert_eq!(rate_string(0, 5), "0.000");
    }

    #[test]
    fn neutral_statuses_leave_the_denominator() {
        let mut c = StatusCounts::default();
        for s in [
            Some(CompletionStatus::Followed),
            Some(CompletionStatus::Skipped),
            Some(CompletionStatus::Equivalent),
            Some(CompletionStatus::Social),
            None,
        ] {
            c.add(s);
        }
        assert_eq!(
            (c.total(), c.denominator(), c.rate()),
            (5, 2, "0.500".to_owned())
        );
    }

    #[test]
    fn averages_round_half_up() {
        assert_eq!(div_half_up(5, 2), 3);
        assert_eq!(div_half_up(7, 3), 2);
        assert_eq!(div_half_up(0, 0), 0);
    }
}
