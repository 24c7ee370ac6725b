//! The one error shape of every operation: [`ApiError`], which operation failed and how
//! ([`ApiErrorKind`]), with the same accessors on every vendor.

use std::fmt;

use super::{Error, ErrorMetadata, ResponseMeta, answer_may_succeed};

/// Why a call of an operation failed.
///
/// `E` is the operation's documented errors, generated from the spec (one variant per documented
/// error status, with its body decoded where the spec gives it a type). What is the same on every
/// operation has a kind of its own: 429, 5xx, and every other failure ([`Error`]).
///
/// `Display` names the vendor and the operation and prints this error's own layer; its
/// [`source`](std::error::Error::source) is the next layer, so that a chain is rendered once.
/// Neither `Display` nor `Debug` prints a decoded body: vendors echo what they were sent in error
/// bodies. The body is kept as a bounded, masked excerpt in [`ResponseMeta`].
///
/// ```
/// use auth_core::{ApiError, ApiErrorKind, ErrorMetadata};
///
/// fn describe<E: std::fmt::Debug>(error: &ApiError<E>) -> String {
///     match error.kind() {
///         ApiErrorKind::Documented { error, .. } => format!("documented: {error:?}"),
///         ApiErrorKind::TooManyRequests(_) => format!("slow down for {:?}", error.retry_after()),
///         ApiErrorKind::ServerError(_) => "the vendor failed; try later".to_owned(),
///         _ => format!("{error}"),
///     }
/// }
/// ```
pub struct ApiError<E> {
    api: &'static str,
    operation: &'static str,
    kind: ApiErrorKind<E>,
}

/// How an operation failed.
#[non_exhaustive]
pub enum ApiErrorKind<E> {
    /// The server answered with an error status the operation documents.
    Documented {
        /// Which documented error, with its decoded body where the spec types it (`None` inside
        /// when the body was HTML, plain text, XML or empty: the excerpt in `meta` keeps it).
        error: E,
        /// Status, headers, request id and a bounded, masked excerpt of the body.
        meta: ResponseMeta,
    },
    /// HTTP 429: the vendor asks the client to slow down, for
    /// [`retry_after`](ErrorMetadata::retry_after) when it says so. The client has already
    /// retried as its [`RetryPolicy`](crate::RetryPolicy) allows.
    TooManyRequests(ResponseMeta),
    /// HTTP 5xx: the vendor's server failed (after the retries the policy allows).
    ServerError(ResponseMeta),
    /// Any other failure: the request could not be built or sent, timed out, found no token, met
    /// a status the operation does not document, or its body did not decode.
    Other(Error),
}

impl<E> ApiError<E> {
    /// The error of `operation` of `api` (the flows of the vendor crates, and test doubles, make
    /// their own; operations make theirs when they fail).
    pub fn new(api: &'static str, operation: &'static str, kind: ApiErrorKind<E>) -> Self {
        Self {
            api,
            operation,
            kind,
        }
    }

    /// The vendor's API, as the crates name it (`emnify`, `dintero`, `plex`).
    pub fn api(&self) -> &'static str {
        self.api
    }

    /// The operation that failed: the name of its method.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// How it failed.
    pub fn kind(&self) -> &ApiErrorKind<E> {
        &self.kind
    }

    /// How it failed, by value.
    pub fn into_kind(self) -> ApiErrorKind<E> {
        self.kind
    }

    /// The documented error, when the server answered with a status the operation documents.
    pub fn documented(&self) -> Option<&E> {
        match &self.kind {
            ApiErrorKind::Documented { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The documented error by value, when the server answered with a status the operation
    /// documents; this error otherwise.
    pub fn into_documented(self) -> Result<E, Self> {
        match self.kind {
            ApiErrorKind::Documented { error, .. } => Ok(error),
            kind => Err(Self { kind, ..self }),
        }
    }
}

impl<E> ApiErrorKind<E> {
    /// The kind of a status the operation does not document: 429 and 5xx have their own, any
    /// other status is [`Error::UnexpectedStatus`].
    pub(crate) fn undocumented(meta: ResponseMeta) -> Self {
        let status = meta.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            ApiErrorKind::TooManyRequests(meta)
        } else if status.is_server_error() {
            ApiErrorKind::ServerError(meta)
        } else {
            ApiErrorKind::Other(Error::UnexpectedStatus(meta))
        }
    }
}

impl<E> From<Error> for ApiErrorKind<E> {
    fn from(error: Error) -> Self {
        ApiErrorKind::Other(error)
    }
}

impl<E> ErrorMetadata for ApiError<E> {
    fn response_meta(&self) -> Option<&ResponseMeta> {
        match &self.kind {
            ApiErrorKind::Documented { meta, .. }
            | ApiErrorKind::TooManyRequests(meta)
            | ApiErrorKind::ServerError(meta) => Some(meta),
            ApiErrorKind::Other(error) => error.response_meta(),
        }
    }

    fn is_retryable(&self) -> bool {
        match &self.kind {
            ApiErrorKind::Other(error) => error.is_retryable(),
            _ => self.response_meta().is_some_and(answer_may_succeed),
        }
    }
}

impl<E> fmt::Display for ApiError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.api, self.operation)?;
        let meta = match &self.kind {
            ApiErrorKind::Documented { meta, .. } => {
                write!(f, "HTTP {}", meta.status())?;
                meta
            }
            ApiErrorKind::TooManyRequests(meta) => {
                f.write_str("too many requests (HTTP 429)")?;
                if let Some(wait) = meta.retry_after() {
                    write!(f, ", retry after {} s", wait.as_secs())?;
                }
                meta
            }
            ApiErrorKind::ServerError(meta) => {
                write!(f, "server error (HTTP {})", meta.status())?;
                meta
            }
            // The runtime's error is this layer's text; its own source is the next layer.
            ApiErrorKind::Other(error) => return fmt::Display::fmt(error, f),
        };
        if let Some(id) = meta.request_id() {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> fmt::Debug for ApiError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("api", &self.api)
            .field("operation", &self.operation)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<E: fmt::Debug> fmt::Debug for ApiErrorKind<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorKind::Documented { error, meta } => f
                .debug_struct("Documented")
                .field("error", error)
                .field("meta", meta)
                .finish(),
            ApiErrorKind::TooManyRequests(meta) => {
                f.debug_tuple("TooManyRequests").field(meta).finish()
            }
            ApiErrorKind::ServerError(meta) => f.debug_tuple("ServerError").field(meta).finish(),
            ApiErrorKind::Other(error) => f.debug_tuple("Other").field(error).finish(),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for ApiError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            // `Display` printed the runtime error's text: the chain goes on with its source.
            ApiErrorKind::Other(error) => std::error::Error::source(error),
            _ => None,
        }
    }
}
