//! The provider-neutral request and answer of one chat call, and the trait back ends implement.

use futures::future::BoxFuture;

use crate::ProviderError;

/// One piece of the user's message.
#[derive(Clone, PartialEq, Eq)]
pub enum ContentPart {
    Text(String),
    /// An image as a `data:<mime>;base64,<data>` URL (vision models).
    ImageDataUrl(String),
}

// Content never appears in debug output: a stray `{:?}` in a log line must not leak it.
impl std::fmt::Debug for ContentPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContentPart::Text(t) => write!(f, "Text({} chars)", t.chars().count()),
            ContentPart::ImageDataUrl(u) => write!(f, "ImageDataUrl({} bytes)", u.len()),
        }
    }
}

/// A system prompt plus the user's content.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatRequest {
    pub system: String,
    pub user: Vec<ContentPart>,
    /// Ask for a JSON object (OpenAI `response_format`; Anthropic relies on the prompt).
    pub json_mode: bool,
    /// Output token cap; `None` lets OpenAI decide (Anthropic requires one and uses its default).
    pub max_tokens: Option<u32>,
    /// Overrides the client's configured model.
    pub model: Option<String>,
}

impl ChatRequest {
    /// A text-only request.
    pub fn text(system: impl Into<String>, user: impl Into<String>) -> ChatRequest {
        ChatRequest {
            system: system.into(),
            user: vec![ContentPart::Text(user.into())],
            json_mode: false,
            max_tokens: None,
            model: None,
        }
    }

    pub fn json(mut self) -> ChatRequest {
        self.json_mode = true;
        self
    }

    pub fn max_tokens(mut self, n: u32) -> ChatRequest {
        self.max_tokens = Some(n);
        self
    }
}

impl std::fmt::Debug for ChatRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatRequest")
            .field("system_chars", &self.system.chars().count())
            .field("user", &self.user)
            .field("json_mode", &self.json_mode)
            .field("max_tokens", &self.max_tokens)
            .field("model", &self.model)
            .finish()
    }
}

/// Token counts as reported by the provider (0 when it does not say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The model's text and what it cost.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatResponse {
    pub text: String,
    pub usage: TokenUsage,
    /// How many HTTP attempts the call took (1 when the first one succeeded).
    pub attempts: u32,
    /// The name of the provider that answered (with failover, not always the first one).
    pub provider: String,
}

impl std::fmt::Debug for ChatResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatResponse")
            .field("text_chars", &self.text.chars().count())
            .field("usage", &self.usage)
            .field("attempts", &self.attempts)
            .field("provider", &self.provider)
            .finish()
    }
}

/// A chat model behind some HTTP API.
pub trait ChatProvider: Send + Sync {
    /// The name reported to clients and used as a metrics label (`openai`, `anthropic`, …).
    fn name(&self) -> &str;

    /// One chat call, retried according to the client's policy.
    fn chat<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;
}
