//! Speech to text through an OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI's
//! Whisper and gpt-4o-transcribe models, and self-hosted servers that speak the same API, such as
//! whisper.cpp's server or faster-whisper-server). The recording goes up as multipart; the text
//! comes back. Same timeouts and retries as a chat call; the audio and the text are never logged.

use std::sync::Arc;

use serde_json::Value;

use crate::{CallLimits, Pacer, ProviderError, RetryPolicy, TokioPacer, transport::Call};

/// Where and how to transcribe.
#[derive(Clone)]
pub struct TranscriptionConfig {
    /// e.g. `https://api.openai.com/v1`; `/audio/transcriptions` is appended.
    pub base_url: String,
    pub api_key: Option<String>,
    /// e.g. `whisper-1`.
    pub model: String,
    pub limits: CallLimits,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for TranscriptionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscriptionConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .finish()
    }
}

/// What the recording said.
#[derive(Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// Seconds of audio, when the server says (OpenAI's `usage.seconds`, whisper.cpp's
    /// `duration`); the price of Whisper is per minute.
    pub seconds: Option<f64>,
    /// Token counts, when the server says (gpt-4o-transcribe).
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Transcript({} chars)", self.text.chars().count())
    }
}

pub struct Transcriber {
    http: reqwest::Client,
    config: TranscriptionConfig,
    url: String,
    pacer: Arc<dyn Pacer>,
}

impl Transcriber {
    pub fn new(http: reqwest::Client, config: TranscriptionConfig) -> Transcriber {
        let url = format!(
            "{}/audio/transcriptions",
            config.base_url.trim_end_matches('/')
        );
        Transcriber {
            http,
            config,
            url,
            pacer: Arc::new(TokioPacer),
        }
    }

    pub fn config(&self) -> &TranscriptionConfig {
        &self.config
    }

    /// Transcribe `audio` (`mime` as uploaded: `audio/webm`, `audio/mp4`, `audio/wav`, …).
    pub async fn transcribe(&self, audio: &[u8], mime: &str) -> Result<Transcript, ProviderError> {
        let call = Call {
            provider: "transcription",
            policy: &self.config.retry,
            limits: &self.config.limits,
            pacer: self.pacer.as_ref(),
            server_error: |status| ProviderError::ServerError { status },
        };
        let file_name = format!("capture.{}", extension(mime));
        let (bytes, _) = call
            .run(|| {
                let part = reqwest::multipart::Part::bytes(audio.to_vec())
                    .file_name(file_name.clone())
                    .mime_str(mime)
                    .unwrap_or_else(|_| reqwest::multipart::Part::bytes(audio.to_vec()));
                let form = reqwest::multipart::Form::new()
                    .part("file", part)
                    .text("model", self.config.model.clone())
                    .text("response_format", "json");
                let mut r = self.http.post(&self.url).multipart(form);
                if let Some(key) = &self.config.api_key {
                    r = r.bearer_auth(key);
                }
                r
            })
            .await?;
        parse(&bytes)
    }
}

/// The file name extension servers use to tell the container format.
fn extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or("").trim() {
        "audio/webm" | "video/webm" => "webm",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" => "m4a",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        _ => "bin",
    }
}

fn parse(bytes: &[u8]) -> Result<Transcript, ProviderError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ProviderError::InvalidResponse)?;
    let text = value
        .get("text")
        .and_then(Value::as_str)
        .ok_or(ProviderError::InvalidResponse)?
        .trim()
        .to_owned();
    let seconds = value
        .pointer("/usage/seconds")
        .or_else(|| value.get("duration"))
        .and_then(Value::as_f64);
    let count = |p: &str| value.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Ok(Transcript {
        text,
        seconds,
        input_tokens: count("/usage/input_tokens"),
        output_tokens: count("/usage/output_tokens"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_and_the_length_are_read_from_either_server_dialect() {
        let openai =
            parse(br#"{"text":" two eggs ","usage":{"type":"duration","seconds":3.2}}"#).unwrap();
        assert_eq!(openai.text, "two eggs");
        assert_eq!(openai.seconds, Some(3.2));
        let whisper_cpp = parse(br#"{"text":"toast","duration":1.5}"#).unwrap();
        assert_eq!(whisper_cpp.seconds, Some(1.5));
        assert!(matches!(parse(b"{}"), Err(ProviderError::InvalidResponse)));
        assert!(matches!(
            parse(b"not json"),
            Err(ProviderError::InvalidResponse)
        ));
    }

    #[test]
    fn the_file_name_tells_the_container() {
        assert_eq!(extension("audio/webm;codecs=opus"), "webm");
        assert_eq!(extension("audio/mp4"), "m4a");
        assert_eq!(extension("audio/wav"), "wav");
        assert_eq!(extension("application/octet-stream"), "bin");
    }
}
