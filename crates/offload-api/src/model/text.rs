//! Length rules in Unicode code points, as the original counts them (Python `len`).

/// The number of code points (not bytes, not UTF-16 units).
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `min ≤ chars(s) ≤ max`.
pub fn within(s: &str, min: usize, max: usize) -> bool {
    let n = chars(s);
    n >= min && n <= max
}

/// Text that can be stored: PostgreSQL's `TEXT` refuses U+0000, so identifiers carrying it are
/// refused up front (422) instead of failing in the database.
pub fn storable(s: &str) -> bool {
    !s.contains('\0')
}

/// The first `max` code points of `s`.
pub fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_count_as_one_character_each() {
        let ten = "😀".repeat(10);
        assert!(within(&ten, 1, 10));
        assert!(!within(&format!("{ten}😀"), 1, 10));
        assert_eq!(truncate("héllo", 2), "hé");
    }
}
