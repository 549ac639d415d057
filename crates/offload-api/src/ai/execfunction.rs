//! `POST /v1/ai/executive-function/prompt`: micro-strategies for a detected executive-function
//! challenge (feature `execfunction`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AiMeta, Operation, hints_ok, json_only, shape, total_chars};
use crate::model::{ids::Feature, text};

/// How a strategy went last time (all four keys required; extra keys ignored).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct StrategyRecord {
    #[schema(min_length = 1, max_length = 32)]
    pub challenge_type: String,
    #[schema(min_length = 1, max_length = 64)]
    pub strategy_id: String,
    pub thumbs_up: bool,
    pub led_to_completion: bool,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecFunctionRequest {
    #[schema(min_length = 1)]
    pub input_text: String,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::context_hints)]
    pub context_hints: Vec<String>,
    /// At most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub strategy_history: Vec<StrategyRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Strategy {
    pub strategy_id: String,
    pub challenge_type: String,
    pub title: String,
    pub description: String,
    pub action_prompt: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExecFunctionResponse {
    pub detected_challenge: String,
    pub strategies: Vec<Strategy>,
    pub encouragement: String,
    #[serde(flatten)]
    pub meta: AiMeta,
}

pub struct ExecFunction;

impl Operation for ExecFunction {
    const FEATURE: Feature = Feature::ExecFunction;
    const MAX_TOKENS: u32 = 1024;
    type Request = ExecFunctionRequest;
    type Response = ExecFunctionResponse;

    fn validate(r: &ExecFunctionRequest) -> bool {
        text::chars(&r.input_text) >= 1
            && hints_ok(&r.context_hints)
            && r.strategy_history.len() <= 50
            && r.strategy_history.iter().all(|h| {
                text::within(&h.challenge_type, 1, 32) && text::within(&h.strategy_id, 1, 64)
            })
    }

    fn content_chars(r: &ExecFunctionRequest) -> usize {
        total_chars(
            std::iter::once(r.input_text.as_str())
                .chain(r.context_hints.iter().map(String::as_str))
                .chain(
                    r.strategy_history
                        .iter()
                        .flat_map(|h| [h.challenge_type.as_str(), h.strategy_id.as_str()]),
                ),
        )
    }

    fn system_prompt() -> &'static str {
        concat!(
            "You are a supportive coach for neurodivergent people. The user message is a JSON ",
            "object with input_text, context_hints and strategy_history. Detect one challenge: ",
            "task_initiation, prioritization, overwhelm or decision_paralysis. Suggest 1–3 ",
            "micro-strategies, each with a snake_case strategy_id, the challenge_type, a short ",
            "title, a description of why it helps and an immediate action_prompt. Prefer ",
            "strategies with positive history and avoid disliked ones. End with warm ",
            "encouragement, without urgency or guilt. Answer with {\"detected_challenge\":\"…\",",
            "\"strategies\":[{\"strategy_id\":\"…\",\"challenge_type\":\"…\",\"title\":\"…\",",
            "\"description\":\"…\",\"action_prompt\":\"…\"}],\"encouragement\":\"…\"}. ",
            json_only!()
        )
    }

    fn shape(model: &Value, meta: AiMeta) -> Option<ExecFunctionResponse> {
        let detected_challenge = shape::string(model.get("detected_challenge"), 1, 32)?;
        let strategies = shape::list(model.get("strategies"))?
            .iter()
            .take(3)
            .map(|s| {
                Some(Strategy {
                    strategy_id: shape::string(s.get("strategy_id"), 1, 64)?,
                    challenge_type: shape::string(s.get("challenge_type"), 1, 32)?,
                    title: shape::string(s.get("title"), 1, 280)?,
                    description: shape::string(s.get("description"), 1, 560)?,
                    action_prompt: shape::string(s.get("action_prompt"), 1, 560)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let encouragement = text::truncate(&shape::stringify(model.get("encouragement"))?, 280);
        if encouragement.is_empty() {
            return None;
        }
        Some(ExecFunctionResponse {
            detected_challenge,
            strategies,
            encouragement,
            meta,
        })
    }
}
