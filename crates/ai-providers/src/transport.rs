//! One provider call over HTTP: per-attempt timeout, overall deadline, status classification and
//! the retry loop. Back ends supply the request and say what a 5xx means for them.
//!
//! Error responses are never read: their bodies may echo the prompt.

use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};

use crate::{Pacer, ProviderError, RetryPolicy};

type Bytes = Vec<u8>;

/// Time limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Each HTTP attempt (connect, send, read) must finish within this.
    pub attempt_timeout: Duration,
    /// The whole call, retries and sleeps included; `None` = only the per-attempt limit.
    pub deadline: Option<Duration>,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            attempt_timeout: Duration::from_secs(20),
            deadline: None,
        }
    }
}

/// A failed attempt and, for 429s, how long the provider asked us to wait.
struct Failure {
    error: ProviderError,
    retry_after: Option<Duration>,
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

/// What a back end needs from the shared loop.
pub(crate) struct Call<'a> {
    pub provider: &'a str,
    pub policy: &'a RetryPolicy,
    pub limits: &'a CallLimits,
    pub pacer: &'a dyn Pacer,
    /// Maps an HTTP status ≥ 500 to this back end's error.
    pub server_error: fn(u16) -> ProviderError,
}

impl Call<'_> {
    /// Run attempts until one succeeds, a failure is final, or the attempts or time run out.
    /// Answers the 2xx body and the number of attempts.
    pub async fn run(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<(Bytes, u32), ProviderError> {
        let started = Instant::now();
        let deadline = self.limits.deadline.map(|d| started + d);
        let attempts = self.policy.max_attempts.max(1);
        let mut slept = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let timeout = match deadline {
                Some(d) => self
                    .limits
                    .attempt_timeout
                    .min(d.saturating_duration_since(Instant::now())),
                None => self.limits.attempt_timeout,
            };
            let outcome = if timeout.is_zero() {
                Err(Failure::from(ProviderError::Timeout))
            } else {
                match tokio::time::timeout(timeout, self.attempt(build())).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(Failure::from(ProviderError::Timeout)),
                }
            };
            let failure = match outcome {
                Ok(body) => {
                    if attempt > 1 {
                        tracing::info!(
                            provider = self.provider,
                            attempt_count = attempt,
                            "provider_retry_recovered"
                        );
                    }
                    return Ok((body, attempt));
                }
                Err(f) => f,
            };
            if !failure.error.is_retryable() {
                return Err(failure.error);
            }
            let out_of_time = deadline.is_some_and(|d| Instant::now() >= d);
            if attempt >= attempts || out_of_time {
                return Err(self.terminal(failure.error, attempt));
            }
            let mut delay = self
                .policy
                .delay_after(attempt, slept, self.pacer.unit_random());
            if let Some(asked) = failure.retry_after {
                if asked > self.policy.remaining_budget(slept) {
                    return Err(self.terminal(failure.error, attempt));
                }
                delay = delay.max(asked);
            }
            if let Some(d) = deadline {
                delay = delay.min(d.saturating_duration_since(Instant::now()));
            }
            if !delay.is_zero() {
                self.pacer.sleep(delay).await;
                slept += delay;
            }
        }
    }

    fn terminal(&self, error: ProviderError, attempt: u32) -> ProviderError {
        tracing::warn!(
            provider = self.provider,
            attempt_count = attempt,
            error_class = error.class(),
            "provider_retry_terminal"
        );
        error
    }

    async fn attempt(&self, request: RequestBuilder) -> Result<Bytes, Failure> {
        let response = request
            .send()
            .await
            .map_err(|e| Failure::from(classify(&e)))?;
        let status = response.status();
        if status.is_success() {
            let body = response
                .bytes()
                .await
                .map_err(|e| Failure::from(classify(&e)))?;
            return Ok(body.to_vec());
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure {
                error: ProviderError::RateLimited,
                retry_after: retry_after(response.headers()),
            });
        }
        let code = status.as_u16();
        Err(Failure::from(if status.is_server_error() {
            (self.server_error)(code)
        } else if status.is_client_error() {
            ProviderError::Rejected { status: code }
        } else {
            ProviderError::InvalidResponse
        }))
    }
}

fn classify(e: &reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Transport
    }
}

/// `Retry-After` in delta-seconds (the HTTP-date form is not used by model providers).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}
