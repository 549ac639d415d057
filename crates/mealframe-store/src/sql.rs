//! Small helpers for statements whose number of parameters depends on the input (multi-row
//! inserts, `IN (…)` lists). Only placeholders are ever spliced into the SQL text; every value is
//! bound.

/// `"$start, $start+1, …"` for `n` parameters.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escape `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_placeholder_lists() {
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
