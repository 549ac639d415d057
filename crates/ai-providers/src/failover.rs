//! Ordered failover: a chain of providers tried in turn. A provider that fails with a retryable
//! error after its own retries (timeout, rate limit, outage, transport) — or has no key — hands
//! the request to the next, all within one overall budget; any other failure (the request was
//! rejected, the answer unreadable) ends the call, since the next provider would be asked the
//! same thing. The answer names the provider that gave it.

use std::{sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::{ChatProvider, ChatRequest, ChatResponse, ProviderError};

pub struct Failover {
    chain: Vec<Arc<dyn ChatProvider>>,
    budget: Option<Duration>,
    name: String,
}

impl Failover {
    /// `chain` in order of preference (at least one); `budget` bounds the whole call.
    pub fn new(chain: Vec<Arc<dyn ChatProvider>>, budget: Option<Duration>) -> Failover {
        let name = chain
            .iter()
            .map(|p| p.name().to_owned())
            .collect::<Vec<_>>()
            .join("+");
        Failover {
            chain,
            budget,
            name,
        }
    }

    async fn call(&self, request: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let started = Instant::now();
        let mut last = ProviderError::NotConfigured;
        for provider in &self.chain {
            let attempt = match self.budget {
                None => provider.chat(request).await,
                Some(budget) => {
                    let Some(left) = budget
                        .checked_sub(started.elapsed())
                        .filter(|l| !l.is_zero())
                    else {
                        return Err(ProviderError::Timeout);
                    };
                    match tokio::time::timeout(left, provider.chat(request)).await {
                        Ok(result) => result,
                        Err(_) => return Err(ProviderError::Timeout),
                    }
                }
            };
            match attempt {
                Ok(answer) => return Ok(answer),
                // A provider without a key never hides the real failure of an earlier one.
                Err(e) if hands_over(&e) => {
                    if !matches!(e, ProviderError::NotConfigured)
                        || matches!(last, ProviderError::NotConfigured)
                    {
                        last = e;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}

/// Whether the next provider should be asked after `e`.
fn hands_over(e: &ProviderError) -> bool {
    e.is_retryable() || matches!(e, ProviderError::NotConfigured)
}

impl ChatProvider for Failover {
    fn name(&self) -> &str {
        &self.name
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
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::TokenUsage;

    /// Answers `outcome` after `delay`, counting its calls.
    struct Fake {
        name: &'static str,
        outcome: Result<(), ProviderError>,
        delay: Duration,
        calls: AtomicU32,
    }

    impl Fake {
        fn new(name: &'static str, outcome: Result<(), ProviderError>) -> Arc<Fake> {
            Arc::new(Fake {
                name,
                outcome,
                delay: Duration::ZERO,
                calls: AtomicU32::new(0),
            })
        }
    }

    impl ChatProvider for Fake {
        fn name(&self) -> &str {
            self.name
        }
        fn chat<'a>(
            &'a self,
            _: &'a ChatRequest,
        ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                self.outcome.clone().map(|()| ChatResponse {
                    text: "{}".into(),
                    usage: TokenUsage::default(),
                    attempts: 1,
                    provider: self.name.into(),
                })
            })
        }
    }

    fn request() -> ChatRequest {
        ChatRequest::text("system", "user")
    }

    #[tokio::test]
    async fn a_retryable_failure_hands_over_to_the_next_provider_in_order() {
        let first = Fake::new("openai", Err(ProviderError::ServerError { status: 500 }));
        let second = Fake::new("anthropic", Ok(()));
        let third = Fake::new("local", Ok(()));
        let chain = Failover::new(vec![first.clone(), second.clone(), third.clone()], None);
        assert_eq!(chain.name(), "openai+anthropic+local");
        let answer = chain.chat(&request()).await.unwrap();
        assert_eq!(answer.provider, "anthropic");
        let calls = [&first, &second, &third].map(|f| f.calls.load(Ordering::SeqCst));
        assert_eq!(calls, [1, 1, 0]);
    }

    #[tokio::test]
    async fn a_rejected_request_is_not_asked_again_elsewhere() {
        let first = Fake::new("openai", Err(ProviderError::Rejected { status: 400 }));
        let second = Fake::new("anthropic", Ok(()));
        let chain = Failover::new(vec![first, second.clone()], None);
        assert!(matches!(
            chain.chat(&request()).await,
            Err(ProviderError::Rejected { status: 400 })
        ));
        assert_eq!(second.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_provider_without_a_key_does_not_hide_an_earlier_outage() {
        let chain = Failover::new(
            vec![
                Fake::new("openai", Err(ProviderError::Timeout)),
                Fake::new("anthropic", Err(ProviderError::NotConfigured)),
            ],
            None,
        );
        assert!(matches!(
            chain.chat(&request()).await,
            Err(ProviderError::Timeout)
        ));
    }

    #[tokio::test]
    async fn every_provider_failing_answers_the_last_error() {
        let chain = Failover::new(
            vec![
                Fake::new("openai", Err(ProviderError::NotConfigured)),
                Fake::new("anthropic", Err(ProviderError::Overloaded { status: 529 })),
            ],
            None,
        );
        assert!(matches!(
            chain.chat(&request()).await,
            Err(ProviderError::Overloaded { status: 529 })
        ));
    }

    #[tokio::test]
    async fn the_budget_covers_the_whole_chain() {
        let slow = Arc::new(Fake {
            name: "openai",
            outcome: Err(ProviderError::Transport),
            delay: Duration::from_millis(300),
            calls: AtomicU32::new(0),
        });
        let next = Arc::new(Fake {
            name: "anthropic",
            outcome: Ok(()),
            delay: Duration::from_millis(300),
            calls: AtomicU32::new(0),
        });
        let chain = Failover::new(vec![slow, next.clone()], Some(Duration::from_millis(450)));
        assert!(matches!(
            chain.chat(&request()).await,
            Err(ProviderError::Timeout)
        ));
        assert_eq!(
            next.calls.load(Ordering::SeqCst),
            1,
            "it was asked, then cut off"
        );
    }
}
