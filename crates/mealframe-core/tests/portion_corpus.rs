//! The portion corpus: realistic portion descriptions with the parse a shopper would want.
//!
//! `tests/portion_corpus.txt` holds one case a line, `input => expected`, where expected is the
//! lines joined with ` | `, each as `Line`'s display: `60 g oats`, `2 egg [scrambled]`,
//! `3 slices bread [2–3]`, `?leftovers` for unparsed text. `#` starts a comment line. The test
//! fails below 95 % exact matches and prints every mismatch.

use mealframe_core::grocery::parse_portion;

fn render(input: &str) -> String {
    parse_portion(input)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn corpus_matches_at_least_95_percent() {
    let corpus = include_str!("portion_corpus.txt");
    let mut total = 0usize;
    let mut mismatches = Vec::new();
    for (n, line) in corpus.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (input, expected) = line
            .split_once(" => ")
            .unwrap_or_else(|| panic!("line {}: no ' => '", n + 1));
        // `\n` in the corpus stands for a line break in the portion text.
        let input = input.replace("\\n", "\n");
        total += 1;
        let got = render(&input);
        if got != expected.trim() {
            mismatches.push(format!(
                "line {}: {input:?}\n  expected {}\n  got      {got}",
                n + 1,
                expected.trim()
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
