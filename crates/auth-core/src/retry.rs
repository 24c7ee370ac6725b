//! The one place that decides whether a failed attempt may be sent again and after how long, the
//! backoff it waits, and how long a call may take.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Repeat;

/// How a client retries: exponential backoff with jitter, a cap on attempts, and `Retry-After`
/// honoured (as delta-seconds or an HTTP-date) on 408, 429 and 503.
///
/// What is retried is decided by one table, the same for the send loop, `is_retryable()` and
/// generated errors:
/// - 408 and 429, and a connection that could not be made, for any request: the server did not
///   act on it;
/// - 502, 503, 504, a connection that broke and an attempt that timed out, only for requests that
///   are safe to send twice (GET, PUT, DELETE, or an operation its spec marks `x-retry-safe`): a
///   POST that may have reached the server is not sent again;
/// - nothing else: a request that cannot be built or sent, or any other status.
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

    /// How long to wait before attempt `attempt + 1`, or `None` when the outcome of attempt
    /// `attempt` stands. This is the only function that decides it: `repeat` says what the outcome
    /// allows (the send loop reads it from the attempt's outcome), `repeatable` whether the request is safe to send twice.
    pub(crate) fn wait_before_retry(
        &self,
        repeat: Repeat,
        repeatable: bool,
        attempt: u32,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let asked = match repeat {
            Repeat::Never => return None,
            Repeat::IfRepeatable { .. } if !repeatable => return None,
            Repeat::Always { after } | Repeat::IfRepeatable { after } => after,
        };
        match asked {
            Some(wait) if wait <= self.max_retry_after => Some(wait),
            // The server asked for longer than the policy waits: its answer stands.
            Some(_) => None,
            None => Some(backoff(self.initial_backoff, self.max_backoff, attempt)),
        }
    }
}

/// The backoff before retry number `retry` (1 for the first): `initial` doubled per retry up to
/// `max`, then half of it plus a random part of the other half. Saturating: no value panics.
pub(crate) fn backoff(initial: Duration, max: Duration, retry: u32) -> Duration {
    let exponential = initial
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(max);
    let half = exponential / 2;
    let random = Duration::try_from_secs_f64(half.as_secs_f64() * jitter()).unwrap_or(half);
    half.saturating_add(random.min(half))
}

/// A number in [0, 1), different on every call.
fn jitter() -> f64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let random = RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed));
    (random >> 11) as f64 / (1u64 << 53) as f64
}

/// How long a call may take: each attempt, and the whole call with its retries and waits
/// (waiting for a token included). Connecting has its own limit, set on the client
/// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)), and so does the
/// token request ([`TokenPolicy::request_timeout`](crate::TokenPolicy::request_timeout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Timeouts {
    /// The longest one attempt may take, from sending to the end of the body; `None`: no limit.
    pub attempt: Option<Duration>,
    /// The longest the whole call may take, from its start to its end, waits for a token and
    /// between retries included; `None`: no limit.
    pub total: Option<Duration>,
}

impl Timeouts {
    /// No limits of its own: for the client a [`TokenProvider`](crate::TokenProvider) sends its
    /// token requests with, which its [`TokenSource`](crate::TokenSource) ends after
    /// [`TokenPolicy::request_timeout`](crate::TokenPolicy::request_timeout), whatever the
    /// timeouts of the calls that wait for the token.
    pub fn none() -> Self {
        Self {
            attempt: None,
            total: None,
        }
    }
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
    use reqwest::StatusCode;

    use super::*;
    use crate::error::{Error, TimeoutKind};

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 1..10 {
            let wait = backoff(policy.initial_backoff, policy.max_backoff, retry);
            let full = Duration::from_millis(100 * (1 << (retry - 1))).min(Duration::from_secs(2));
            assert!(wait >= full / 2 && wait <= full, "retry {retry}: {wait:?}");
        }
        let waits: std::collections::BTreeSet<Duration> = (0..20)
            .map(|_| backoff(policy.initial_backoff, policy.max_backoff, 3))
            .collect();
        assert!(waits.len() > 1, "jitter varies the wait");
    }

    #[test]
    fn backoff_saturates_on_enormous_settings() {
        for retry in [0, 1, 2, 17, u32::MAX] {
            let wait = backoff(Duration::MAX, Duration::MAX, retry);
            assert!(wait >= Duration::MAX / 2, "{wait:?}");
        }
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    /// The table of the one retry decision: outcome, whether the request is safe to repeat, and
    /// the wait (None: the outcome stands). Backoff rows are checked by range.
    #[test]
    fn one_retry_classifier() {
        let policy = RetryPolicy::default();
        let secs = |s| Some(Duration::from_secs(s));
        let status =
            |code: u16, after| Repeat::of_status(StatusCode::from_u16(code).unwrap(), after);
        enum Want {
            Stands,
            Backoff,
            Wait(Duration),
        }
        use Want::*;
        let rows: Vec<(&str, Repeat, bool, Want)> = vec![
            ("200", status(200, None), true, Stands),
            ("400", status(400, None), true, Stands),
            ("401", status(401, None), true, Stands),
            ("404", status(404, None), true, Stands),
            ("500", status(500, None), true, Stands),
            ("501", status(501, None), true, Stands),
            ("408 POST", status(408, None), false, Backoff),
            ("429 POST", status(429, None), false, Backoff),
            (
                "429 POST Retry-After 2",
                status(429, secs(2)),
                false,
                Wait(Duration::from_secs(2)),
            ),
            (
                "429 Retry-After over the policy",
                status(429, secs(31)),
                true,
                Stands,
            ),
            (
                "503 GET Retry-After 1",
                status(503, secs(1)),
                true,
                Wait(Duration::from_secs(1)),
            ),
            ("503 POST", status(503, secs(1)), false, Stands),
            ("502 GET", status(502, None), true, Backoff),
            ("502 POST", status(502, None), false, Stands),
            ("504 GET", status(504, None), true, Backoff),
            ("504 POST", status(504, None), false, Stands),
            (
                "connect timeout POST",
                Repeat::of_error(&Error::Timeout(TimeoutKind::Connect)),
                false,
                Backoff,
            ),
            (
                "attempt timeout GET",
                Repeat::of_error(&Error::Timeout(TimeoutKind::Attempt)),
                true,
                Backoff,
            ),
            (
                "attempt timeout POST",
                Repeat::of_error(&Error::Timeout(TimeoutKind::Attempt)),
                false,
                Stands,
            ),
            (
                "total timeout",
                Repeat::of_error(&Error::Timeout(TimeoutKind::Total)),
                true,
                Stands,
            ),
            (
                "token wait timeout",
                Repeat::of_error(&Error::Timeout(TimeoutKind::Token)),
                true,
                Stands,
            ),
            (
                "unsendable request",
                Repeat::of_error(&Error::InvalidRequest("bad header".into())),
                true,
                Stands,
            ),
            (
                "credential that is no header value",
                Repeat::of_error(&Error::InvalidCredentials {
                    operation: "op",
                    reason: "line break",
                }),
                true,
                Stands,
            ),
            (
                "failed token refresh",
                Repeat::of_error(&Error::TokenRefresh(crate::TokenError::new(
                    crate::TokenErrorKind::TimedOut,
                    Error::Timeout(TimeoutKind::TokenRequest),
                ))),
                true,
                Stands,
            ),
        ];
        for (name, repeat, repeatable, want) in rows {
            let got = policy.wait_before_retry(repeat, repeatable, 1);
            match want {
                Stands => assert_eq!(got, None, "{name}"),
                Wait(wait) => assert_eq!(got, Some(wait), "{name}"),
                Backoff => {
                    let got = got.unwrap_or_else(|| panic!("{name}: no retry"));
                    assert!(
                        got >= Duration::from_millis(50) && got <= Duration::from_millis(100),
                        "{name}: {got:?}"
                    );
                }
            }
        }
        // The last attempt's outcome always stands.
        assert_eq!(policy.wait_before_retry(status(429, None), true, 3), None);
        // What the error accessors say is the same table.
        assert!(status(429, None).may_succeed());
        assert!(!status(500, None).may_succeed());
    }
}
