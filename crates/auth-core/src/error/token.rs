//! Why no token could be had ([`TokenError`]): what a token provider fails with, and what every
//! caller waiting on the same refresh gets.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{ErrorMetadata, Repeat};

/// Why no token could be had: the token endpoint refused the credentials, failed, throttled or
/// stalled, or a new token needs the user. [`TokenProvider`](crate::TokenProvider)s fail with it, and every caller that
/// waited for the same refresh gets the same value (it is cheap to clone).
///
/// Every error of this workspace's operations converts into it with `?`, keeping its status and
/// the token endpoint's `Retry-After` (which the [`TokenSource`](crate::TokenSource) honours before
/// its next try); any other error converts with [`TokenError::new`].
///
/// ```
/// use auth_core::{TokenError, TokenErrorKind};
///
/// let error = TokenError::new(TokenErrorKind::InteractionRequired, "a one-time code is needed");
/// assert_eq!(error.kind(), TokenErrorKind::InteractionRequired);
/// assert_eq!(
///     error.to_string(),
///     "could not get a token: a new token needs the user (a one-time code or an approval)"
/// );
/// ```
#[derive(Clone)]
pub struct TokenError {
    kind: TokenErrorKind,
    status: Option<reqwest::StatusCode>,
    retry_after: Option<Duration>,
    cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// What kind of failure kept a [`TokenSource`](crate::TokenSource) from a token; match on it to
/// decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The token endpoint refused the credentials or the grant (a 4xx answer other than 408 and
    /// 429): the same credentials will not do better later.
    Rejected,
    /// A new token needs the user (a one-time code, an approval): an unattended refresh cannot
    /// get one. Log in interactively.
    InteractionRequired,
    /// The token endpoint failed, throttled, or could not be reached (5xx, 408, 429, transport):
    /// the source tries again after its back-off.
    Unavailable,
    /// The token request took longer than its own timeout
    /// ([`TokenPolicy::request_timeout`](crate::TokenPolicy::request_timeout)).
    TimedOut,
    /// The refresh ended without an answer: its provider panicked, or its runtime shut down.
    Abandoned,
    /// Anything else (an answer that did not decode, say); the cause tells.
    Other,
}

impl TokenError {
    /// A failure of `kind` because of `cause`.
    pub fn new(
        kind: TokenErrorKind,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            status: None,
            retry_after: None,
            cause: Some(Arc::from(cause.into())),
        }
    }

    /// A failure of `kind` with no cause behind it.
    pub(crate) fn of_kind(kind: TokenErrorKind) -> Self {
        Self {
            kind,
            status: None,
            retry_after: None,
            cause: None,
        }
    }

    /// The same failure, the token endpoint having asked for `wait` before the next try.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }

    /// The token endpoint's HTTP status, when it answered.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        self.status
    }

    /// How long the token endpoint asked to be left alone (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for TokenError {
    /// "could not get a token: " and why, in one line; what the token endpoint answered is the
    /// `source()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not get a token: ")?;
        f.write_str(match self.kind {
            TokenErrorKind::Rejected => "the token endpoint refused the credentials",
            TokenErrorKind::InteractionRequired => {
                "a new token needs the user (a one-time code or an approval)"
            }
            TokenErrorKind::Unavailable => "the token endpoint is unavailable",
            TokenErrorKind::TimedOut => "the token request timed out",
            TokenErrorKind::Abandoned => {
                "the token refresh ended without an answer (its task was cancelled or panicked)"
            }
            TokenErrorKind::Other => "the token request failed",
        })
    }
}

impl fmt::Debug for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenError")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("retry_after", &self.retry_after)
            .field("cause", &self.cause)
            .finish()
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl<E> From<E> for TokenError
where
    E: std::error::Error + ErrorMetadata + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        let status = error.status();
        let kind = match status {
            Some(status)
                if Repeat::of_status(status, None).may_succeed() || status.is_server_error() =>
            {
                TokenErrorKind::Unavailable
            }
            Some(status) if status.is_client_error() => TokenErrorKind::Rejected,
            None if error.is_retryable() => TokenErrorKind::Unavailable,
            _ => TokenErrorKind::Other,
        };
        Self {
            kind,
            status,
            retry_after: error.retry_after(),
            cause: Some(Arc::new(error)),
        }
    }
}
