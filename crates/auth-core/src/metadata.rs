//! What every error of every operation can report: status, request id, `Retry-After`, and
//! whether sending again may help (as the one retry classifier, [`Repeat`], decides).

use std::time::Duration;

use reqwest::StatusCode;

use crate::error::Error;
use crate::meta::ResponseMeta;
use crate::retry::Repeat;

/// What every error of every operation can tell about the failed call.
pub trait ErrorMetadata {
    /// The response behind the error, when there was one.
    fn response_meta(&self) -> Option<&ResponseMeta>;

    /// Whether sending the same request again may succeed, as [`Repeat`] decides it. For a
    /// request that may have reached the server (502, 503, 504, a broken connection), it may only
    /// be sent again if it is safe to send twice; the client has already retried where it was.
    fn is_retryable(&self) -> bool {
        self.response_meta().is_some_and(answer_may_succeed)
    }

    /// The HTTP status, when a response was received.
    fn status(&self) -> Option<StatusCode> {
        self.response_meta().map(ResponseMeta::status)
    }

    /// The vendor's request id, when the response carried one.
    fn request_id(&self) -> Option<&str> {
        self.response_meta().and_then(ResponseMeta::request_id)
    }

    /// The start of the response body ([`ResponseMeta::raw_body_excerpt`]) as JSON, when it is
    /// JSON: where the vendor crates read their error codes from. **Raw**: nothing is masked, so
    /// whatever the vendor echoed (a password, a token) is in it. Read fields from it; to show
    /// or log the body, use [`ResponseMeta::masked_excerpt`].
    fn raw_body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(self.response_meta()?.raw_body_excerpt()).ok()
    }

    /// How long the server asked the client to wait (`Retry-After`), when it did.
    fn retry_after(&self) -> Option<Duration> {
        self.response_meta().and_then(ResponseMeta::retry_after)
    }
}

/// Whether the answer `meta` says the same request may succeed later, as [`Repeat::of_status`]
/// decides it.
pub(crate) fn answer_may_succeed(meta: &ResponseMeta) -> bool {
    Repeat::of_status(meta.status(), meta.retry_after()).may_succeed()
}

impl ErrorMetadata for Error {
    fn response_meta(&self) -> Option<&ResponseMeta> {
        match self {
            Error::BodyTooLarge { meta, .. } | Error::Decode { meta, .. } => Some(meta),
            Error::UnexpectedStatus(meta) => Some(meta),
            _ => None,
        }
    }

    fn is_retryable(&self) -> bool {
        Repeat::of_error(self).may_succeed()
    }
}
