//! `POST /v1/ai/communication/draft`: a message draft for a call, text or e-mail (feature
//! `draft`).
//!
//! Unlike the original, the channel and contact name are not pasted into the system prompt
//! (a prompt-injection surface); the model reads them from the user JSON like everything else.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{AiMeta, Operation, hints_ok, json_only, shape, total_chars};
use crate::model::{ids::Feature, text};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    #[schema(min_length = 1)]
    pub input_text: String,
    /// Free-form, 1–16 characters; the app sends `call`, `text` or `email`.
    #[schema(min_length = 1, max_length = 16)]
    pub channel: String,
    /// At most 128 characters; omitted or null when unknown.
    #[serde(default)]
    #[schema(max_length = 128)]
    pub contact_name: Option<String>,
    #[serde(default)]
    #[schema(schema_with = crate::openapi::context_hints)]
    pub context_hints: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftResponse {
    pub draft_text: String,
    pub tone: String,
    #[serde(flatten)]
    pub meta: AiMeta,
}

pub struct Draft;

impl Operation for Draft {
    const FEATURE: Feature = Feature::Draft;
    const MAX_TOKENS: u32 = 1024;
    type Request = DraftRequest;
    type Response = DraftResponse;

    fn validate(r: &DraftRequest) -> bool {
        text::chars(&r.input_text) >= 1
            && text::within(&r.channel, 1, 16)
            && r.contact_name
                .as_deref()
                .is_none_or(|n| text::chars(n) <= 128)
            && hints_ok(&r.context_hints)
    }

    fn content_chars(r: &DraftRequest) -> usize {
        total_chars(
            [
                r.input_text.as_str(),
                r.channel.as_str(),
                r.contact_name.as_deref().unwrap_or(""),
            ]
            .into_iter()
            .chain(r.context_hints.iter().map(String::as_str)),
        )
    }

    fn system_prompt() -> &'static str {
        concat!(
            "You help a person with ADHD draft a message. The user message is a JSON object with ",
            "input_text (what they want to say), channel (call, text or email), contact_name ",
            "(may be null) and context_hints. Be concise and friendly: for calls give talking ",
            "points, for texts be brief, for emails include a greeting and sign-off. Never be ",
            "pushy or guilt-inducing. Choose a tone: friendly, professional, casual or urgent. ",
            "Answer with {\"draft_text\":\"…\",\"tone\":\"friendly\"}. ",
            json_only!()
        )
    }

    fn shape(model: &Value, meta: AiMeta) -> Option<DraftResponse> {
        let draft = model.get("draft_text")?.as_str()?;
        if draft.is_empty() {
            return None;
        }
        let tone = match model.get("tone") {
            None | Some(Value::Null) => "friendly".to_owned(),
            v => text::truncate(&shape::stringify(v)?, 32),
        };
        if tone.is_empty() {
            return None;
        }
        Some(DraftResponse {
            draft_text: text::truncate(draft, 2000),
            tone,
            meta,
        })
    }
}
