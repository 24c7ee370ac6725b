//! The one table of what may be sent again: what a status, an answer or an error says about
//! sending the same request once more. The send loop, `ErrorMetadata::is_retryable`, token
//! errors and every generated error read it; `retry` adds the policy (how often, how long).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{Error, TimeoutKind};

/// What an attempt's outcome says about sending the same request again.
///
/// This is the one table of what may be repeated: the send loop,
/// [`ErrorMetadata::is_retryable`](crate::ErrorMetadata::is_retryable) and every generated error
/// read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Repeat {
    /// Sending it again cannot help, or the request cannot be sent at all.
    Never,
    /// The server did not act on the request (408, 429, a connection never made): it may be sent
    /// again whatever its method, after `after` when the server asked for a wait.
    Always {
        /// The server's `Retry-After`, when it sent one.
        after: Option<Duration>,
    },
    /// The request may have reached the server (502, 503, 504, a broken connection, an attempt
    /// that timed out): only a request that is safe to send twice may be sent again.
    IfRepeatable {
        /// The server's `Retry-After`, when it sent one.
        after: Option<Duration>,
    },
}

impl Repeat {
    /// What a response status allows, with the response's `Retry-After` when it had one.
    pub(crate) fn of_status(status: StatusCode, retry_after: Option<Duration>) -> Repeat {
        Repeat::classify(status, || retry_after)
    }

    /// What an answer allows; its `Retry-After` header is read only for the statuses that
    /// honour it.
    pub(crate) fn of_answer(status: StatusCode, headers: &HeaderMap) -> Repeat {
        Repeat::classify(status, || super::metadata::retry_after(headers))
    }

    /// The table of statuses: 408 and 429 for any request, 502, 503 and 504 for requests safe to
    /// send twice; `retry_after` is asked for only where the status honours it.
    fn classify(status: StatusCode, retry_after: impl FnOnce() -> Option<Duration>) -> Repeat {
        match status.as_u16() {
            408 | 429 => Repeat::Always {
                after: retry_after(),
            },
            503 => Repeat::IfRepeatable {
                after: retry_after(),
            },
            502 | 504 => Repeat::IfRepeatable { after: None },
            _ => Repeat::Never,
        }
    }

    /// What an error allows.
    pub(crate) fn of_error(error: &Error) -> Repeat {
        match error {
            // Nothing reached the server.
            Error::Transport(error) if error.is_connect() => Repeat::Always { after: None },
            Error::Timeout(TimeoutKind::Connect) => Repeat::Always { after: None },
            // The request may have reached the server.
            Error::Transport(_) | Error::Timeout(TimeoutKind::Attempt) => {
                Repeat::IfRepeatable { after: None }
            }
            Error::UnexpectedStatus(meta) => Repeat::classify(meta.status(), || meta.retry_after()),
            // A request that cannot be built or sent, a body that cannot be read or decoded, a
            // call out of time, a failed token refresh (paced by its own source): never.
            _ => Repeat::Never,
        }
    }

    /// Whether sending the request again may succeed (for [`Repeat::IfRepeatable`], only if the
    /// request is safe to send twice).
    pub(crate) fn may_succeed(self) -> bool {
        self != Repeat::Never
    }
}
