//! `POST /v1/ai/breakdown/generate`: a task broken into steps (feature `breakdown`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AiMeta, Operation, hints_ok, json_only, shape, total_chars};
use crate::{
    http::body::lax,
    model::{ids::Feature, text},
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownRequest {
    /// At least one character.
    #[schema(min_length = 1)]
    pub input_text: String,
    /// 1 (main steps only) to 5 (tiny micro-steps).
    #[serde(deserialize_with = "lax::int")]
    #[schema(value_type = i64, minimum = 1, maximum = 5)]
    pub granularity: i64,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::context_hints)]
    pub context_hints: Vec<String>,
    /// Ids of the user's local templates (≤32, each 1–128 characters).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::template_ids)]
    pub template_ids: Vec<String>,
}

/// A step; nesting is at most three levels deep, at most 20 substeps per step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreakdownStep {
    pub title: String,
    #[schema(no_recursion)]
    pub substeps: Vec<BreakdownStep>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownResponse {
    pub steps: Vec<BreakdownStep>,
    #[serde(flatten)]
    pub meta: AiMeta,
}

pub struct Breakdown;

fn step(v: &Value, depth: usize) -> Option<BreakdownStep> {
    let title = shape::string(v.get("title"), 1, 280)?;
    let substeps = match v.get("substeps") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > 20 || (depth >= 3 && !items.is_empty()) {
                return None;
            }
            items
                .iter()
                .map(|s| step(s, depth + 1))
                .collect::<Option<Vec<_>>>()?
        }
        Some(_) => return None,
    };
    Some(BreakdownStep { title, substeps })
}

impl Operation for Breakdown {
    const FEATURE: Feature = Feature::Breakdown;
    const MAX_TOKENS: u32 = 2048;
    type Request = BreakdownRequest;
    type Response = BreakdownResponse;

    fn validate(r: &BreakdownRequest) -> bool {
        text::chars(&r.input_text) >= 1
            && (1..=5).contains(&r.granularity)
            && hints_ok(&r.context_hints)
            && r.template_ids.len() <= 32
            && r.template_ids.iter().all(|t| text::within(t, 1, 128))
    }

    fn content_chars(r: &BreakdownRequest) -> usize {
        total_chars(
            std::iter::once(r.input_text.as_str())
                .chain(r.context_hints.iter().map(String::as_str))
                .chain(r.template_ids.iter().map(String::as_str)),
        )
    }

    fn system_prompt() -> &'static str {
        concat!(
            "You break a task into a structured list of concrete, doable steps for a person who ",
            "finds starting hard. The user message is a JSON object with input_text (the task), ",
            "granularity (1 = just the main steps … 5 = tiny micro-steps), context_hints and ",
            "template_ids. Answer with {\"steps\":[{\"title\":\"…\",\"substeps\":[…]}]}: each ",
            "substep is an object with a title and a substeps array (empty at the third level); ",
            "titles are short (under 280 characters), at most 20 substeps per step. ",
            json_only!()
        )
    }

    fn shape(model: &Value, meta: AiMeta) -> Option<BreakdownResponse> {
        let steps = shape::list(model.get("steps"))?
            .iter()
            .map(|s| step(s, 1))
            .collect::<Option<Vec<_>>>()?;
        Some(BreakdownResponse { steps, meta })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shaped(v: Value) -> Option<BreakdownResponse> {
        Breakdown::shape(&v, AiMeta::default())
    }

    #[test]
    fn three_levels_pass_and_four_do_not() {
        let three = json!({"steps":[{"title":"a","substeps":[{"title":"b","substeps":[{"title":"c","substeps":[]}]}]}]});
        assert!(shaped(three).is_some());
        let four = json!({"steps":[{"title":"a","substeps":[{"title":"b","substeps":[{"title":"c","substeps":[{"title":"d"}]}]}]}]});
        assert!(shaped(four).is_none());
    }

    #[test]
    fn titles_and_substep_counts_are_bounded() {
        assert!(shaped(json!({"steps":[{"title":""}]})).is_none());
        assert!(shaped(json!({"steps":[{"title":"x".repeat(281)}]})).is_none());
        let many: Vec<Value> = (0..21).map(|i| json!({"title": i.to_string()})).collect();
        assert!(shaped(json!({"steps":[{"title":"a","substeps":many}]})).is_none());
        assert!(shaped(json!({"items":[]})).is_none());
    }

    #[test]
    fn extra_keys_are_dropped_and_substeps_always_present() {
        let r = shaped(json!({"steps":[{"title":"a","extra":1}]})).unwrap();
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(out["steps"][0], json!({"title":"a","substeps":[]}));
    }
}
