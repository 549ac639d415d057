//! The optional AI reading of portion lines the parser could not read ("a bowl of chili",
//! "eggs on toast"): what is asked of an OpenAI-compatible model and how its answer is checked.
//! The model rewrites each line as a portion text our own parser reads ("300 g chili con carne"),
//! so the list is still summed by our rules; a reading the parser cannot read either is refused.
//!
//! The request is a JSON array of lines; the answer must be
//! `{"lines": [{"text": <a line as given>, "ingredients": <portion text or "">}]}`. An empty
//! string means the line names nothing to buy ("leftovers", "eating out"). Lines the answer
//! leaves out, repeats or garbles get no reading.

use serde::Deserialize;

use super::parse::{Line, parse_portion};

/// The model's instructions.
pub const SYSTEM_PROMPT: &str = "You turn lines of a person's meal notes into shopping-list \
ingredients for the amount described (one serving when no amount is given). Write each as \
ingredients joined with \" + \", each as <quantity> <unit> <ingredient>, with units among g, kg, \
ml, l, tsp, tbsp, slice, can, or no unit for whole items (\"2 eggs + 1 slice bread\"). Estimate \
common portion sizes. If a line names nothing that can be bought (\"leftovers\", \"eating out\"), \
answer an empty string for it. Answer only JSON: {\"lines\": [{\"text\": <the line exactly as \
given>, \"ingredients\": <string>}]}.";

/// The most lines asked in one call.
pub const BATCH: usize = 20;
/// The longest line asked about, and the longest reading kept (characters).
pub const MAX_LINE: usize = 500;
const MAX_READING: usize = 500;

/// The user message for `lines`.
pub fn user_prompt(lines: &[&str]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())
}

#[derive(Deserialize)]
struct Answer {
    lines: Vec<AnswerLine>,
}

#[derive(Deserialize)]
struct AnswerLine {
    text: String,
    ingredients: String,
}

/// The reading of each asked line that the answer gave and our parser can read: `(line,
/// reading)`, the reading empty for "nothing to buy". `None` when the answer is not the JSON
/// asked for.
pub fn parse_answer(answer: &str, asked: &[&str]) -> Option<Vec<(String, String)>> {
    let answer: Answer = serde_json::from_str(answer.trim()).ok()?;
    let mut out: Vec<(String, String)> = Vec::new();
    for a in answer.lines {
        if !asked.contains(&a.text.as_str()) || out.iter().any(|(t, _)| *t == a.text) {
            continue;
        }
        let reading = a.ingredients.trim();
        if reading.chars().count() > MAX_READING {
            continue;
        }
        let readable = reading.is_empty()
            || parse_portion(reading)
                .iter()
                .all(|l| matches!(l, Line::Parsed(_)));
        if readable {
            out.push((a.text, reading.to_owned()));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_the_parser_reads_are_kept_and_the_rest_refused() {
        let asked = ["a bowl of chili", "leftovers", "some soup", "pizza"];
        let answer = r#"{"lines": [
            {"text": "a bowl of chili", "ingredients": "300 g chili con carne + 1 slice bread"},
            {"text": "leftovers", "ingredients": ""},
            {"text": "some soup", "ingredients": "a nice warm bowl of whatever you have left"},
            {"text": "not asked", "ingredients": "1 apple"},
            {"text": "a bowl of chili", "ingredients": "1 kg chili"}
        ]}"#;
        assert_eq!(
            parse_answer(answer, &asked),
            Some(vec![
                (
                    "a bowl of chili".into(),
                    "300 g chili con carne + 1 slice bread".into()
                ),
                ("leftovers".into(), String::new()),
            ])
        );
    }

    #[test]
    fn an_answer_that_is_not_the_json_asked_for_is_none() {
        assert_eq!(parse_answer("Sure! Here you go", &["x"]), None);
        assert_eq!(parse_answer(r#"{"lines": "x"}"#, &["x"]), None);
    }

    #[test]
    fn the_prompt_is_the_lines_as_json() {
        assert_eq!(user_prompt(&["a \"big\" bowl"]), r#"["a \"big\" bowl"]"#);
    }
}
