//! `POST /v1/ai/decide/recommend`: a few good-enough options, one recommended (feature `decide`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AiMeta, Operation, hints_ok, json_only, shape, total_chars};
use crate::model::{ids::Feature, text};

/// An answer to a question from a previous response (extra keys are ignored).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ClarifyingAnswer {
    #[schema(min_length = 1, max_length = 280)]
    pub question: String,
    #[schema(min_length = 1, max_length = 280)]
    pub answer: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    #[schema(min_length = 1)]
    pub input_text: String,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::context_hints)]
    pub context_hints: Vec<String>,
    /// At most 2.
    #[serde(default)]
    #[schema(max_items = 2)]
    pub clarifying_answers: Vec<ClarifyingAnswer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionOption {
    pub title: String,
    pub description: String,
    pub is_recommended: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecideResponse {
    pub options: Vec<DecisionOption>,
    pub clarifying_questions: Vec<String>,
    #[serde(flatten)]
    pub meta: AiMeta,
}

pub struct Decide;

impl Operation for Decide {
    const FEATURE: Feature = Feature::Decide;
    const MAX_TOKENS: u32 = 1024;
    type Request = DecideRequest;
    type Response = DecideResponse;

    fn validate(r: &DecideRequest) -> bool {
        text::chars(&r.input_text) >= 1
            && hints_ok(&r.context_hints)
            && r.clarifying_answers.len() <= 2
            && r.clarifying_answers
                .iter()
                .all(|a| text::within(&a.question, 1, 280) && text::within(&a.answer, 1, 280))
    }

    fn content_chars(r: &DecideRequest) -> usize {
        total_chars(
            std::iter::once(r.input_text.as_str())
                .chain(r.context_hints.iter().map(String::as_str))
                .chain(
                    r.clarifying_answers
                        .iter()
                        .flat_map(|a| [a.question.as_str(), a.answer.as_str()]),
                ),
        )
    }

    fn system_prompt() -> &'static str {
        concat!(
            "You reduce decision fatigue. The user message is a JSON object with input_text (the ",
            "decision), context_hints and clarifying_answers. Offer 2–3 good-enough options, each ",
            "with a short title and a description of at most two sentences; mark exactly one as ",
            "recommended. Optionally ask 1–2 clarifying questions. Avoid urgency; every option ",
            "is optional. Answer with {\"options\":[{\"title\":\"…\",\"description\":\"…\",",
            "\"is_recommended\":true}],\"clarifying_questions\":[\"…\"]}. ",
            json_only!()
        )
    }

    fn shape(model: &Value, meta: AiMeta) -> Option<DecideResponse> {
        let options = shape::list(model.get("options"))?
            .iter()
            .map(|o| {
                Some(DecisionOption {
                    title: shape::string(o.get("title"), 1, 280)?,
                    description: shape::string(o.get("description"), 1, 560)?,
                    is_recommended: shape::flag(o.get("is_recommended"))?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let clarifying_questions = match model.get("clarifying_questions") {
            Some(Value::Array(qs)) => qs
                .iter()
                .take(2)
                .map(|q| shape::string(Some(q), 1, 280))
                .collect::<Option<Vec<_>>>()?,
            _ => Vec::new(),
        };
        Some(DecideResponse {
            options,
            clarifying_questions,
            meta,
        })
    }
}
