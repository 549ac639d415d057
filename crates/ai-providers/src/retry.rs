//! The retry policy shared by every back end (Offload spec §7.4), with injectable sleeping and
//! randomness so that tests can run it without waiting and with known jitter.
//!
//! Delay after failed attempt `n` (1-based): `b = min(max, base·2^(n−1))`,
//! `candidate = min(max, b + b·jitter·U[0,1))`, `delay = min(candidate, budget − slept)`; no sleep
//! after the last attempt. A 429's `Retry-After` raises the delay to what the provider asked for
//! when that still fits the budget; when it does not, retrying early is pointless and the call
//! ends with the 429.

use std::time::Duration;

use futures::future::BoxFuture;

/// Attempts and backoff of one provider call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, at least 1.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The most a call may spend sleeping between attempts.
    pub max_total_delay: Duration,
    /// 0..=1: how much random extra is added to each delay.
    pub jitter_factor: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
            max_total_delay: Duration::from_secs(4),
            jitter_factor: 0.25,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The sleep after failed attempt `attempt` (1-based), given what was slept so far and a
    /// uniform random number in `[0, 1)`.
    pub fn delay_after(&self, attempt: u32, slept: Duration, unit_random: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(62);
        let max = self.max_delay.as_secs_f64();
        let b = (self.base_delay.as_secs_f64() * 2f64.powi(exp as i32)).min(max);
        let u = unit_random.clamp(0.0, 1.0);
        let candidate = (b + b * self.jitter_factor.clamp(0.0, 1.0) * u).min(max);
        let remaining = (self.max_total_delay.as_secs_f64() - slept.as_secs_f64()).max(0.0);
        Duration::from_secs_f64(candidate.min(remaining).max(0.0))
    }

    /// What is left of the sleep budget.
    pub fn remaining_budget(&self, slept: Duration) -> Duration {
        self.max_total_delay.saturating_sub(slept)
    }
}

/// How a call waits between attempts and draws its jitter.
pub trait Pacer: Send + Sync {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
    /// A uniform random number in `[0, 1)`.
    fn unit_random(&self) -> f64;
}

/// Real sleeping and real randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioPacer;

impl Pacer for TokioPacer {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn unit_random(&self) -> f64 {
        rand::random::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn default_delays_are_a_quarter_then_half_a_second_plus_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(ms(p.delay_after(1, Duration::ZERO, 0.0)), 250);
        assert_eq!(
            p.delay_after(1, Duration::ZERO, 0.999_999).as_micros(),
            312_499
        );
        assert_eq!(ms(p.delay_after(2, Duration::from_millis(250), 0.0)), 500);
        assert_eq!(
            ms(p.delay_after(2, Duration::from_millis(250), 0.999_999)),
            624
        );
    }

    #[test]
    fn delays_are_capped_by_max_delay_and_the_total_budget() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_total_delay: Duration::from_millis(1500),
            jitter_factor: 0.0,
        };
        assert_eq!(ms(p.delay_after(1, Duration::ZERO, 0.5)), 1000);
        assert_eq!(ms(p.delay_after(2, Duration::from_secs(1), 0.5)), 500);
        assert_eq!(ms(p.delay_after(3, Duration::from_millis(1500), 0.5)), 0);
        let capped = RetryPolicy {
            max_total_delay: Duration::from_secs(100),
            ..p
        };
        assert_eq!(ms(capped.delay_after(10, Duration::ZERO, 0.0)), 10_000);
    }

    #[test]
    fn jitter_never_pushes_a_delay_past_max_delay() {
        let p = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(2),
            max_total_delay: Duration::from_secs(10),
            jitter_factor: 1.0,
        };
        assert_eq!(ms(p.delay_after(1, Duration::ZERO, 0.9)), 2000);
    }
}
