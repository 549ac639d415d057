//! The five AI operations of Offload on top of `ai_providers`: their request bodies and limits,
//! prompts, and how a model's JSON is shaped into the response the iOS app decodes.
//!
//! Shaping is strict: output that breaks a response rule (empty or over-long titles, too-deep
//! steps, a missing `encouragement`, …) is a 502 `provider_invalid_response` and is not counted —
//! never a 500 after charging the user (deliberate difference 3).

pub mod braindump;
pub mod breakdown;
pub mod decide;
pub mod draft;
pub mod execfunction;
mod shape;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::{ids::Feature, text};

/// Token counts of the provider call.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// What every AI response carries besides its payload.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AiMeta {
    /// `openai` or `anthropic`.
    pub provider: String,
    /// Wall time of the provider call only, in whole milliseconds.
    pub latency_ms: u64,
    pub usage: Usage,
}

/// One AI route's contract.
pub trait Operation: Send + Sync + 'static {
    const FEATURE: Feature;
    /// Output token cap sent to providers that take one (Anthropic).
    const MAX_TOKENS: u32;
    type Request: DeserializeOwned + Serialize + Send + Sync;
    type Response: Serialize + Send;

    /// Field rules of the request schema (422 when broken).
    fn validate(request: &Self::Request) -> bool;
    /// Code points counted against `OFFLOAD_MAX_INPUT_CHARS` (413 when over).
    fn content_chars(request: &Self::Request) -> usize;
    fn system_prompt() -> &'static str;
    /// The model's JSON object → the response, or `None` when it breaks the response rules.
    fn shape(model: &Value, meta: AiMeta) -> Option<Self::Response>;
}

/// `context_hints`: at most 32, each 1–280 code points.
pub(crate) fn hints_ok(hints: &[String]) -> bool {
    hints.len() <= 32 && hints.iter().all(|h| text::within(h, 1, 280))
}

pub(crate) fn total_chars<'a>(parts: impl IntoIterator<Item = &'a str>) -> usize {
    parts.into_iter().map(text::chars).sum()
}

/// The sentence that ends every system prompt (a macro so that `concat!` can use it).
macro_rules! json_only {
    () => {
        "Respond with strict JSON only: output only the JSON object, no other text, no Markdown fences."
    };
}
pub(crate) use json_only;
