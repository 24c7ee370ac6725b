//! Responses as the generated operations see them, and the metadata kept with every error.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::client::Credentials;
use crate::error::{ApiError, Error};
use crate::redact;
use crate::token::Token;

/// How many bytes of a body [`ResponseMeta`] keeps (a copy: an error kept by the caller never
/// holds the whole response body).
pub const BODY_EXCERPT_BYTES: usize = 4 * 1024;

/// Everything about a response but its decoded body: status, headers, the vendor's request id and
/// a copy of the first [`BODY_EXCERPT_BYTES`] bytes of the raw body.
///
/// `Debug` shows the status, the request id, the header names and a short excerpt of the body
/// with its secrets masked; header values and the raw excerpt can hold secrets and are only
/// available through their accessors.
#[derive(Clone)]
pub struct ResponseMeta(Box<MetaInner>);

#[derive(Clone)]
struct MetaInner {
    status: StatusCode,
    headers: HeaderMap,
    request_id: Option<String>,
    body_excerpt: Bytes,
    body_len: usize,
    shown: Box<str>,
}

impl ResponseMeta {
    /// `held` are the credentials the client holds: they are masked wherever the body shows them.
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        request_id_headers: &[&str],
        body: &[u8],
        held: &[String],
    ) -> Self {
        let request_id = request_id_headers
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
            .map(str::to_owned);
        let kept = &body[..body.len().min(BODY_EXCERPT_BYTES)];
        let shown = redact::excerpt(kept, kept.len() < body.len(), held).into_boxed_str();
        Self(Box::new(MetaInner {
            status,
            headers,
            request_id,
            body_excerpt: Bytes::copy_from_slice(kept),
            body_len: body.len(),
            shown,
        }))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The vendor's request id, from the first of the client's request-id headers present.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The first bytes of the raw body (at most [`BODY_EXCERPT_BYTES`]). May hold secrets.
    pub fn body_excerpt(&self) -> &[u8] {
        &self.0.body_excerpt
    }

    /// The start of the body as `Debug` shows it: secrets masked, a few hundred characters.
    pub(crate) fn shown_excerpt(&self) -> &str {
        &self.0.shown
    }

    /// The length of the body as received (up to the client's body limit).
    pub fn body_len(&self) -> usize {
        self.0.body_len
    }

    /// The `Retry-After` header as a wait: delta-seconds, or an HTTP-date (zero when it has passed).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.0.headers)
    }
}

/// The `Retry-After` header of `headers` as a wait: delta-seconds, or an HTTP-date (zero when it
/// has passed).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseMeta")
            .field("status", &self.0.status)
            .field("request_id", &self.0.request_id)
            .field("headers", &self.0.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.0.body_len)
            .field("body", &self.0.shown)
            .finish()
    }
}

/// A received response whose body has been read (bounded by the client's limit).
///
/// Generated operations match on [`Response::status`] and turn the response into their typed
/// success value or error.
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    request_id_headers: &'static [&'static str],
    sent: Sent,
}

/// What a request was sent with, so that an error made of its response can mask the secrets
/// among it wherever the body shows them.
#[derive(Clone)]
pub(crate) struct Sent {
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) token: Option<Arc<Token>>,
    /// The request body (shared with the request, not copied).
    pub(crate) body: Option<Bytes>,
}

impl Sent {
    /// The secret values among them: the credentials, the token, and the values of the request
    /// body's secret fields. Worked out only when an error is made.
    pub(crate) fn held(&self) -> Vec<String> {
        let mut held: Vec<String> = self
            .credentials
            .secret_values()
            .into_iter()
            .map(str::to_owned)
            .collect();
        held.extend(
            self.token
                .as_deref()
                .map(|token| token.secret().expose().to_owned()),
        );
        if let Some(body) = &self.body {
            held.extend(redact::secret_fields(body));
        }
        held
    }
}

impl Response {
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        request_id_headers: &'static [&'static str],
        sent: Sent,
    ) -> Self {
        Self {
            status,
            headers,
            body,
            request_id_headers,
            sent,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Decodes the body as JSON into `T`.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|err| {
            let meta = self.into_meta();
            Error::decode(meta, &err)
        })
    }

    /// A documented error response: its typed body when the body decodes as JSON, `None` when it
    /// does not (an HTML page, plain text, XML, an empty body). A documented status is always its
    /// typed error, whatever the body; the excerpt keeps what the body was.
    pub fn api_error<T: DeserializeOwned>(self) -> ApiError<T> {
        let body = serde_json::from_slice(&self.body).ok();
        ApiError {
            body,
            meta: self.into_meta(),
        }
    }

    /// The response as error metadata (for documented errors without a body).
    pub fn into_meta(self) -> ResponseMeta {
        ResponseMeta::new(
            self.status,
            self.headers,
            self.request_id_headers,
            &self.body,
            &self.sent.held(),
        )
    }

    /// The error for a status the operation does not document.
    pub fn unexpected(self) -> Error {
        Error::UnexpectedStatus(self.into_meta())
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn meta_with_retry_after(value: &str) -> ResponseMeta {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        ResponseMeta::new(StatusCode::TOO_MANY_REQUESTS, headers, &[], &[], &[])
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(
            meta_with_retry_after("2").retry_after(),
            Some(Duration::from_secs(2))
        );
        let later = SystemTime::now() + Duration::from_secs(120);
        let wait = meta_with_retry_after(&httpdate::fmt_http_date(later))
            .retry_after()
            .unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        let past = meta_with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(past.retry_after(), Some(Duration::ZERO));
        assert_eq!(meta_with_retry_after("soon").retry_after(), None);
    }

    #[test]
    fn excerpt_is_a_bounded_copy_and_debug_masks_it() {
        let body = Bytes::from(vec![b'x'; 5 * 1024 * 1024]);
        let meta = ResponseMeta::new(StatusCode::OK, HeaderMap::new(), &[], &body, &[]);
        assert_eq!(meta.body_excerpt().len(), BODY_EXCERPT_BYTES);
        assert_eq!(meta.body_len(), 5 * 1024 * 1024);
        // The meta holds a copy, not a view of the 5 MiB buffer: ours is the only reference.
        assert!(body.is_unique());
        let shown = format!("{meta:?}");
        assert!(shown.len() < 1024, "{shown}");

        let echo = br#"{"error":"invalid_grant","password":"hunter2","note":"held-key-1"}"#;
        let meta = ResponseMeta::new(
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            &[],
            echo,
            &["held-key-1".to_owned()],
        );
        let shown = format!("{meta:?}");
        assert!(shown.contains("invalid_grant"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("held-key-1"),
            "{shown}"
        );
    }
}
