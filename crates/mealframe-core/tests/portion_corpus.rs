//! The portion corpus: realistic portion descriptions with the parse a shopper would want.
//!
//! `tests/portion_corpus.txt` holds one case a line, `input => expected`, where expected is the
//! lines joined with ` | `, each as `Line`'s display: `60 g oats`, `2 egg [scrambled]`,
//! `3 slices bread [2–3]`, `?leftovers` for unparsed text. `#` starts a comment line. The test
//! fails below 95 % exact matches and prints every mismatch. A second test files every parsed
//! key of the corpus under a store aisle and fails when 15 % or more of them are `Other`.

use std::collections::BTreeSet;

use mealframe_core::grocery::{Category, Line, category_of, parse_portion};

fn render(input: &str) -> String {
    parse_portion(input)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The corpus cases: line number, input (with `\n` read as a line break), expected.
fn cases() -> Vec<(usize, String, &'static str)> {
    let corpus = include_str!("portion_corpus.txt");
    let mut cases = Vec::new();
    for (n, line) in corpus.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (input, expected) = line
            .split_once(" => ")
            .unwrap_or_else(|| panic!("line {}: no ' => '", n + 1));
        // `\n` in the corpus stands for a line break in the portion text.
        cases.push((n + 1, input.replace("\\n", "\n"), expected.trim()));
    }
    cases
}

#[test]
fn corpus_matches_at_least_95_percent() {
    let cases = cases();
    let total = cases.len();
    let mut mismatches = Vec::new();
    for (n, input, expected) in &cases {
        let got = render(input);
        if got != *expected {
            mismatches.push(format!(
                "line {n}: {input:?}\n  expected {expected}\n  got      {got}"
            ));
        }
    }
    let matched = total - mismatches.len();
    let rate = matched as f64 / total as f64 * 100.0;
    println!("portion corpus: {matched}/{total} exact ({rate:.1} %)");
    for m in &mismatches {
        println!("{m}");
    }
    assert!(total >= 200, "the corpus has only {total} cases");
    assert!(
        rate >= 95.0,
        "{} mismatches, {rate:.1} % exact",
        mismatches.len()
    );
}

#[test]
fn fewer_than_15_percent_of_corpus_keys_have_no_aisle() {
    let keys: BTreeSet<String> = cases()
        .iter()
        .flat_map(|(_, input, _)| parse_portion(input))
        .filter_map(|line| match line {
            Line::Parsed(i) => Some(i.key),
            Line::Unparsed(_) => None,
        })
        .collect();
    let other: Vec<&String> = keys
        .iter()
        .filter(|k| category_of(k) == Category::Other)
        .collect();
    let rate = other.len() as f64 / keys.len() as f64 * 100.0;
    eprintln!(
        "corpus keys without an aisle: {}/{} ({rate:.1} %)",
        other.len(),
        keys.len()
    );
    for key in &other {
        eprintln!("  {key}");
    }
    assert!(keys.len() >= 150, "only {} distinct keys", keys.len());
    assert!(rate < 15.0, "{rate:.1} % of the corpus keys are Other");
}
