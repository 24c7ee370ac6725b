//! When and how long to wait before sending a request again, and how long a call may take.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a client retries: exponential backoff with jitter, a cap on attempts, and `Retry-After`
/// honoured (as delta-seconds or an HTTP-date) on 429 and 503.
///
/// What is retried:
/// - 429 Too Many Requests, for any request (the server did not act on it);
/// - a connection that could not be made, for any request (nothing reached the server);
/// - 502, 503, 504, a connection that broke and an attempt that timed out, only for requests that
///   are safe to send twice ([`Operation::idempotent`](crate::Operation::idempotent)): a POST that
///   may have reached the server is not sent again.
///
/// ```
/// use std::time::Duration;
/// use auth_core::RetryPolicy;
///
/// let patient = RetryPolicy::default().max_attempts(5).max_backoff(Duration::from_secs(10));
/// let never = RetryPolicy::disabled();
/// assert_eq!(never.attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, backoff from 100 ms doubling up to 2 s, `Retry-After` honoured up to 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn disabled() -> Self {
        Self::default().max_attempts(1)
    }

    /// The most attempts a request gets, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; each further retry waits twice as long, up to
    /// [`max_backoff`](Self::max_backoff), with jitter.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` the client waits; a longer one ends the call with the 429 or 503
    /// (whose error reports the wait asked for).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The most attempts a request gets.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before retry number `retry` (1 for the first): half of the exponential delay,
    /// plus a random part of the other half.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .initial_backoff
            .saturating_mul(1 << retry.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let half = exponential / 2;
        half + half.mul_f64(jitter())
    }

    /// The wait a server asked for, when the policy accepts it.
    pub(crate) fn accepts_retry_after(&self, wait: Duration) -> bool {
        wait <= self.max_retry_after
    }
}

/// A number in [0, 1), different on every call.
fn jitter() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed));
    (random >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a call may take: each attempt, and the whole call with its retries and waits.
/// Connecting has its own limit, set on the client
/// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Timeouts {
    /// The longest one attempt may take, from sending to the end of the body; `None`: no limit.
    pub attempt: Option<Duration>,
    /// The longest the whole call may take; `None`: no limit.
    pub total: Option<Duration>,
}

impl Default for Timeouts {
    /// 30 s per attempt, 90 s per call.
    fn default() -> Self {
        Self {
            attempt: Some(Duration::from_secs(30)),
            total: Some(Duration::from_secs(90)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 1..10 {
            let backoff = policy.backoff(retry);
            let full = Duration::from_millis(100 * (1 << (retry - 1))).min(Duration::from_secs(2));
            assert!(
                backoff >= full / 2 && backoff <= full,
                "retry {retry}: {backoff:?}"
            );
        }
        let waits: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| policy.backoff(3)).collect();
        assert!(waits.len() > 1, "jitter varies the wait");
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
