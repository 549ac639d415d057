//! OpenAI Chat Completions, and any server that speaks the same API (vLLM, llama.cpp, Ollama)
//! through another base URL.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::{
    CallLimits, ChatProvider, ChatRequest, ChatResponse, ContentPart, Pacer, ProviderError,
    RetryPolicy, TokenUsage, TokioPacer, transport::Call,
};

/// Where and how to call an OpenAI-style endpoint.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// Reported as the provider name (`openai` unless told otherwise).
    pub name: String,
    /// e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub api_key: Option<String>,
    /// When false, a missing key is fine (self-hosted servers without auth).
    pub require_api_key: bool,
    pub model: String,
    /// Whether a request's `max_tokens` is forwarded (some compatible servers reject values
    /// larger than their context; Offload's original never sends it).
    pub send_max_tokens: bool,
    pub limits: CallLimits,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("require_api_key", &self.require_api_key)
            .field("model", &self.model)
            .field("limits", &self.limits)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        OpenAiConfig {
            name: "openai".into(),
            base_url: "https://api.openai.com/v1".into(),
            api_key: None,
            require_api_key: true,
            model: "gpt-4o-mini".into(),
            send_max_tokens: true,
            limits: CallLimits::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// A client for one OpenAI-style endpoint.
pub struct OpenAiClient {
    http: reqwest::Client,
    config: OpenAiConfig,
    url: String,
    pacer: Arc<dyn Pacer>,
}

impl OpenAiClient {
    pub fn new(http: reqwest::Client, config: OpenAiConfig) -> OpenAiClient {
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        OpenAiClient {
            http,
            config,
            url,
            pacer: Arc::new(TokioPacer),
        }
    }

    /// Replace how retries sleep and draw jitter (tests).
    pub fn with_pacer(mut self, pacer: Arc<dyn Pacer>) -> OpenAiClient {
        self.pacer = pacer;
        self
    }

    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn body(&self, request: &ChatRequest) -> Value {
        let only_text = request
            .user
            .iter()
            .all(|p| matches!(p, ContentPart::Text(_)));
        let user = if only_text {
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
                        ContentPart::ImageDataUrl(u) => {
                            json!({"type": "image_url", "image_url": {"url": u}})
                        }
                    })
                    .collect(),
            )
        };
        let mut body = json!({
            "model": request.model.as_deref().unwrap_or(&self.config.model),
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": user},
            ],
        });
        if request.json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }
        if let Some(n) = request.max_tokens.filter(|_| self.config.send_max_tokens) {
            body["max_tokens"] = json!(n);
        }
        body
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
            server_error: |status| ProviderError::ServerError { status },
        };
        let (bytes, attempts) = call
            .run(|| {
                let mut r = self
                    .http
                    .post(&self.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                if let Some(key) = &self.config.api_key {
                    r = r.bearer_auth(key);
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

fn parse(bytes: &[u8], attempts: u32) -> Result<ChatResponse, ProviderError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ProviderError::InvalidResponse)?;
    let text = value
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or(ProviderError::InvalidResponse)?
        .to_owned();
    let count = |p: &str| value.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Ok(ChatResponse {
        text,
        usage: TokenUsage {
            input_tokens: count("/usage/prompt_tokens"),
            output_tokens: count("/usage/completion_tokens"),
        },
        attempts,
        provider: String::new(),
    })
}

impl ChatProvider for OpenAiClient {
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
    fn text_only_requests_send_a_plain_string_and_json_mode() {
        let client = OpenAiClient::new(reqwest::Client::new(), OpenAiConfig::default());
        let body = client.body(&ChatRequest::text("sys", "hello").json());
        assert_eq!(body["model"], "gpt-4o-mini");
        assert_eq!(body["messages"][0]["content"], "sys");
        assert_eq!(body["messages"][1]["content"], "hello");
        assert_eq!(body["response_format"]["type"], "json_object");
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn images_are_sent_as_content_parts() {
        let client = OpenAiClient::new(reqwest::Client::new(), OpenAiConfig::default());
        let mut request = ChatRequest::text("sys", "what is this meal?").max_tokens(300);
        request.user.push(ContentPart::ImageDataUrl(
            "data:image/png;base64,AAAA".into(),
        ));
        let body = client.body(&request);
        assert_eq!(body["messages"][1]["content"][0]["type"], "text");
        assert_eq!(
            body["messages"][1]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AAAA"
        );
        assert_eq!(body["max_tokens"], 300);
    }

    #[test]
    fn answers_without_a_message_are_invalid() {
        assert_eq!(
            parse(br#"{"choices":[]}"#, 1),
            Err(ProviderError::InvalidResponse)
        );
        assert_eq!(parse(b"not json", 1), Err(ProviderError::InvalidResponse));
        let ok = parse(
            br#"{"choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":3}}"#,
            1,
        )
        .unwrap();
        assert_eq!(
            ok.usage,
            TokenUsage {
                input_tokens: 3,
                output_tokens: 0
            }
        );
    }
}
