//! ai-providers: one small interface to chat models, shared by Offload's gateway and MealFrame's AI
//! meal capture.
//!
//! The low-level call is [`ChatProvider::chat`]: a system prompt plus user content parts (text and
//! images as data URLs), optional JSON mode, `max_tokens` and model, answering text plus token
//! usage. Three back ends implement it: OpenAI Chat Completions, Anthropic Messages, and any
//! OpenAI-compatible server (vLLM, llama.cpp, Ollama) through [`OpenAiClient`] with another base URL.
//!
//! Every call runs under the shared [`RetryPolicy`] (capped exponential backoff with jitter, a total
//! sleep budget, `Retry-After` honoured on 429) with a per-attempt timeout and an optional overall
//! deadline; [`Failover`] chains providers in order within one budget. Failures are [`ProviderError`]s that carry only a class and an HTTP status — never a
//! prompt, a model output or a provider's error body — and nothing here logs content.

mod anthropic;
mod chat;
mod error;
mod failover;
mod openai;
mod retry;
mod transcribe;
mod transport;

pub use anthropic::{AnthropicClient, AnthropicConfig};
pub use chat::{ChatProvider, ChatRequest, ChatResponse, ContentPart, TokenUsage};
pub use error::{ErrorKind, ProviderError};
pub use failover::Failover;
pub use openai::{OpenAiClient, OpenAiConfig};
pub use retry::{Pacer, RetryPolicy, TokioPacer};
pub use transcribe::{Transcriber, Transcript, TranscriptionConfig};
pub use transport::CallLimits;

/// An HTTP client suited to provider calls (connection pooling, no overall timeout: each call
/// sets its own).
pub fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .tcp_nodelay(true)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}
