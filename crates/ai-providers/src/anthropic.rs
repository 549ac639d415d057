//! Anthropic Messages API.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::{
    CallLimits, ChatProvider, ChatRequest, ChatResponse, ContentPart, Pacer, ProviderError,
    RetryPolicy, TokenUsage, TokioPacer, transport::Call,
};

/// Where and how to call the Messages API.
#[derive(Clone)]
pub struct AnthropicConfig {
    pub name: String,
    /// e.g. `https://api.anthropic.com`; `/v1/messages` is appended.
    pub base_url: String,
    pub api_key: Option<String>,
    pub require_api_key: bool,
    pub model: String,
    /// The `anthropic-version` header.
    pub version: String,
    /// Used when a request names no `max_tokens` (the API requires one).
    pub default_max_tokens: u32,
    pub limits: CallLimits,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Default for AnthropicConfig {
    fn default() -> Self {
        AnthropicConfig {
            name: "anthropic".into(),
            base_url: "https://api.anthropic.com".into(),
            api_key: None,
            require_api_key: true,
            model: "claude-haiku-4-5-20251001".into(),
            version: "2023-06-01".into(),
            default_max_tokens: 1024,
            limits: CallLimits::default(),
            retry: RetryPolicy::default(),
        }
    }
}

pub struct AnthropicClient {
    http: reqwest::Client,
    config: AnthropicConfig,
    url: String,
    pacer: Arc<dyn Pacer>,
}

impl AnthropicClient {
    pub fn new(http: reqwest::Client, config: AnthropicConfig) -> AnthropicClient {
        let url = format!("{}/v1/messages", config.base_url.trim_end_matches('/'));
        AnthropicClient {
            http,
            config,
            url,
            pacer: Arc::new(TokioPacer),
        }
    }

    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> AnthropicClient {
        self.pacer = pacer;
        self
    }

    pub fn config(&self) -> &AnthropicConfig {
        &self.config
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let only_text = request
            .user
            .iter()
            .all(|p| matches!(p, ContentPart::Text(_)));
        let content = if only_text {
            let text: Vec<&str> = request
                .user
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text(t) => Some(t.as_str()),
                    ContentPart::ImageDataUrl(_) => None,
                })
                .collect();
            Value::String(text.join("\n\n"))
        } else {
            Value::Array(
                request
                    .user
                    .iter()
                    .map(|p| match p {
                        ContentPart::Text(t) => json!({"type": "text", "text": t}),
                        ContentPart::ImageDataUrl(u) => image_block(u),
                    })
                    .collect(),
            )
        };
        json!({
            "model": request.model.as_deref().unwrap_or(&self.config.model),
            "max_tokens": request.max_tokens.unwrap_or(self.config.default_max_tokens),
            "system": request.system,
            "messages": [{"role": "user", "content": content}],
        })
    }

    async fn call(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        if self.config.require_api_key && self.config.api_key.is_none() {
            return Err(ProviderError::NotConfigured);
        }
        let body = serde_json::to_vec(&self.body(request)).map_err(|_| ProviderError::Transport)?;
        let call = Call {
            provider: &self.config.name,
            policy: &self.config.retry,
            limits: &self.config.limits,
            pacer: self.pacer.as_ref(),
            // Anthropic's 5xx and 529 ("overloaded") mean the service is unavailable.
            server_error: |status| ProviderError::Overloaded { status },
        };
        let (bytes, attempts) = call
            .run(|| {
                let mut r = self
                    .http
                    .post(&self.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("anthropic-version", &self.config.version)
                    .body(body.clone());
                if let Some(key) = &self.config.api_key {
                    r = r.header("x-api-key", key);
                }
                r
            })
            .await?;
        parse(&bytes, attempts).map(|r| ChatResponse {
            provider: self.config.name.clone(),
            ..r
        })
    }
}

/// `data:image/png;base64,AAAA` → an Anthropic base64 image block.
fn image_block(data_url: &str) -> Value {
    let rest = data_url.strip_prefix("data:").unwrap_or(data_url);
    let (meta, data) = rest.split_once(',').unwrap_or(("", rest));
    let media_type = meta.split(';').next().filter(|m| !m.is_empty());
    json!({
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": media_type.unwrap_or("image/jpeg"),
            "data": data,
        }
    })
}

/// Models wrap JSON in Markdown fences despite being told not to; take them off.
pub(crate) fn strip_fences(text: &str) -> &str {
    let mut t = text.trim();
    if let Some(rest) = t.strip_prefix("```json") {
        t = rest;
    } else if let Some(rest) = t.strip_prefix("```") {
        t = rest;
    }
    if let Some(rest) = t.strip_suffix("```") {
        t = rest;
    }
    t.trim()
}

fn parse(bytes: &[u8], attempts: u32) -> Result<ChatResponse, ProviderError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ProviderError::InvalidResponse)?;
    let text = value
        .get("content")
        .and_then(Value::as_array)
        .and_then(|blocks| {
            blocks
                .iter()
                .find(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        })
        .and_then(|b| b.get("text"))
        .and_then(Value::as_str)
        .ok_or(ProviderError::InvalidResponse)?;
    let count = |p: &str| value.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Ok(ChatResponse {
        text: strip_fences(text).to_owned(),
        usage: TokenUsage {
            input_tokens: count("/usage/input_tokens"),
            output_tokens: count("/usage/output_tokens"),
        },
        attempts,
        provider: String::new(),
    })
}

impl ChatProvider for AnthropicClient {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fences("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fences("```\n{}\n```"), "{}");
        assert_eq!(strip_fences("  {}  "), "{}");
    }

    #[test]
    fn requests_carry_system_max_tokens_and_image_blocks() {
        let client = AnthropicClient::new(reqwest::Client::new(), AnthropicConfig::default());
        let mut request = ChatRequest::text("sys", "meal");
        request.user.push(ContentPart::ImageDataUrl(
            "data:image/png;base64,QUJD".into(),
        ));
        let body = client.body(&request);
        assert_eq!(body["system"], "sys");
        assert_eq!(body["max_tokens"], 1024);
        let image = &body["messages"][0]["content"][1];
        assert_eq!(image["source"]["media_type"], "image/png");
        assert_eq!(image["source"]["data"], "QUJD");
    }

    #[test]
    fn the_first_text_block_is_the_answer() {
        let ok = parse(
            br#"{"content":[{"type":"text","text":"```json\n{}\n```"}],"usage":{"input_tokens":10,"output_tokens":20}}"#,
            1,
        )
        .unwrap();
        assert_eq!(ok.text, "{}");
        assert_eq!(ok.usage.output_tokens, 20);
        assert_eq!(
            parse(br#"{"content":[]}"#, 1),
            Err(ProviderError::InvalidResponse)
        );
    }
}
