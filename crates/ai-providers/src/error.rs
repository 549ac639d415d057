//! Why a provider call failed — classes and HTTP statuses only, never content.

/// The four outcomes a gateway maps to HTTP (504 / 503 / 502 / 502).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Timeout,
    Unavailable,
    RequestFailed,
    InvalidResponse,
}

/// A failed provider call. The `Display` text names the class and status only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The last attempt (or the overall deadline) timed out.
    #[error("provider timed out")]
    Timeout,
    /// No API key (and no custom base URL) is configured.
    #[error("provider unavailable: API key not configured")]
    NotConfigured,
    /// The provider reported an outage (Anthropic 5xx and 529).
    #[error("provider unavailable: server error (HTTP {status})")]
    Overloaded { status: u16 },
    /// HTTP 429 on the last attempt.
    #[error("provider request failed: rate limited (HTTP 429)")]
    RateLimited,
    /// HTTP 5xx from a provider that maps those to a failed request (OpenAI).
    #[error("provider request failed: server error (HTTP {status})")]
    ServerError { status: u16 },
    /// Any other HTTP 4xx: not retried.
    #[error("provider request failed: request rejected (HTTP {status})")]
    Rejected { status: u16 },
    /// Connection refused, reset, DNS, TLS…
    #[error("provider request failed: transport error")]
    Transport,
    /// A 2xx answer that is not the expected envelope or JSON.
    #[error("provider returned an invalid response")]
    InvalidResponse,
}

impl ProviderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::Timeout => ErrorKind::Timeout,
            ProviderError::NotConfigured | ProviderError::Overloaded { .. } => {
                ErrorKind::Unavailable
            }
            ProviderError::RateLimited
            | ProviderError::ServerError { .. }
            | ProviderError::Rejected { .. }
            | ProviderError::Transport => ErrorKind::RequestFailed,
            ProviderError::InvalidResponse => ErrorKind::InvalidResponse,
        }
    }

    /// The HTTP status a gateway answers with: 504, 503, 502 or 502.
    pub fn http_status(&self) -> u16 {
        match self.kind() {
            ErrorKind::Timeout => 504,
            ErrorKind::Unavailable => 503,
            ErrorKind::RequestFailed | ErrorKind::InvalidResponse => 502,
        }
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::Timeout
                | ProviderError::Overloaded { .. }
                | ProviderError::RateLimited
                | ProviderError::ServerError { .. }
                | ProviderError::Transport
        )
    }

    /// A short stable label for logs and metrics (`timeout`, `rate_limited`, …).
    pub fn class(&self) -> &'static str {
        match self {
            ProviderError::Timeout => "timeout",
            ProviderError::NotConfigured => "not_configured",
            ProviderError::Overloaded { .. } => "unavailable",
            ProviderError::RateLimited => "rate_limited",
            ProviderError::ServerError { .. } => "server_error",
            ProviderError::Rejected { .. } => "rejected",
            ProviderError::Transport => "transport",
            ProviderError::InvalidResponse => "invalid_response",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_504_503_502_502() {
        assert_eq!(ProviderError::Timeout.http_status(), 504);
        assert_eq!(ProviderError::NotConfigured.http_status(), 503);
        assert_eq!(ProviderError::Overloaded { status: 529 }.http_status(), 503);
        assert_eq!(ProviderError::RateLimited.http_status(), 502);
        assert_eq!(
            ProviderError::ServerError { status: 500 }.http_status(),
            502
        );
        assert_eq!(ProviderError::Rejected { status: 400 }.http_status(), 502);
        assert_eq!(ProviderError::Transport.http_status(), 502);
        assert_eq!(ProviderError::InvalidResponse.http_status(), 502);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(ProviderError::Timeout.is_retryable());
        assert!(ProviderError::RateLimited.is_retryable());
        assert!(ProviderError::Overloaded { status: 503 }.is_retryable());
        assert!(!ProviderError::Rejected { status: 400 }.is_retryable());
        assert!(!ProviderError::InvalidResponse.is_retryable());
        assert!(!ProviderError::NotConfigured.is_retryable());
    }
}
