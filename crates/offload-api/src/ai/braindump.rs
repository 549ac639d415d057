//! `POST /v1/ai/braindump/compile`: unstructured text sorted into items (feature `braindump`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AiMeta, Operation, hints_ok, json_only, shape, total_chars};
use crate::model::{ids::Feature, text};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BraindumpRequest {
    #[schema(min_length = 1)]
    pub input_text: String,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::context_hints)]
    pub context_hints: Vec<String>,
}

/// One extracted thought; `type` is usually one of task, note, idea, question, decision,
/// concern, reference (not enforced; the app maps unknown values to note).
#[derive(Debug, Serialize, ToSchema)]
pub struct BraindumpItem {
    pub title: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BraindumpResponse {
    pub items: Vec<BraindumpItem>,
    #[serde(flatten)]
    pub meta: AiMeta,
}

pub struct Braindump;

impl Operation for Braindump {
    const FEATURE: Feature = Feature::Braindump;
    const MAX_TOKENS: u32 = 2048;
    type Request = BraindumpRequest;
    type Response = BraindumpResponse;

    fn validate(r: &BraindumpRequest) -> bool {
        text::chars(&r.input_text) >= 1 && hints_ok(&r.context_hints)
    }

    fn content_chars(r: &BraindumpRequest) -> usize {
        total_chars(
            std::iter::once(r.input_text.as_str())
                .chain(r.context_hints.iter().map(String::as_str)),
        )
    }

    fn system_prompt() -> &'static str {
        concat!(
            "You extract and categorise the distinct thoughts in a person's unstructured brain ",
            "dump. The user message is a JSON object with input_text and context_hints. Make one ",
            "item per distinct thought with a concise title and a type, one of: task, note, idea, ",
            "question, decision, concern, reference. Answer with ",
            "{\"items\":[{\"title\":\"…\",\"type\":\"task\"}]}. ",
            json_only!()
        )
    }

    fn shape(model: &Value, meta: AiMeta) -> Option<BraindumpResponse> {
        let items = shape::list(model.get("items"))?
            .iter()
            .map(|i| {
                Some(BraindumpItem {
                    title: shape::string(i.get("title"), 1, 280)?,
                    kind: shape::string(i.get("type"), 1, 32)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(BraindumpResponse { items, meta })
    }
}
