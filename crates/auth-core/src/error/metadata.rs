//! What every error can report of the call that failed: the response it got ([`ResponseMeta`]:
//! status, headers, the vendor's request id, a bounded copy of the body's start, the
//! `Retry-After` it asked for), and the trait that reads it from any error ([`ErrorMetadata`]),
//! with whether sending again may help as the one retry table ([`Repeat`]) decides.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::{Error, Repeat};
use crate::secret::redact;

/// How many bytes of a body [`ResponseMeta`] keeps (a copy: an error kept by the caller never
/// holds the whole response body).
pub const BODY_EXCERPT_BYTES: usize = 4 * 1024;

/// Everything about a response but its decoded body: status, headers, the vendor's request id and
/// a copy of the first [`BODY_EXCERPT_BYTES`] bytes of the raw body.
///
/// `Debug` shows the status, the request id, the header names and a short excerpt of the body
/// with its secrets masked ([`ResponseMeta::masked_excerpt`]); header values and the raw
/// excerpt can hold secrets and are only available through their accessors, whose names say so.
#[derive(Clone)]
pub struct ResponseMeta(Box<MetaInner>);

#[derive(Clone)]
struct MetaInner {
    status: StatusCode,
    headers: HeaderMap,
    request_id: Option<String>,
    body_excerpt: Bytes,
    body_len: usize,
    /// What the request was sent with, for masking its secrets where the body echoes them.
    held: Option<Arc<dyn Held>>,
    /// The masked excerpt, worked out the first time it is shown (an error that is only
    /// matched on, retried or dropped never pays for it).
    shown: OnceLock<Box<str>>,
}

/// The secret values a request was sent with (credentials, token, secret fields of its body),
/// which a masked excerpt hides wherever the body shows them. Asked for only when an excerpt
/// is shown.
pub(crate) trait Held: Send + Sync {
    /// The values to mask.
    fn held(&self) -> Vec<String>;
}

impl Held for Vec<String> {
    fn held(&self) -> Vec<String> {
        self.clone()
    }
}

impl ResponseMeta {
    /// `held` is what the request was sent with: its secrets are masked wherever the body shows
    /// them, when the excerpt is first shown (nothing is masked on the path that makes the error).
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        request_id_headers: &[&str],
        body: &[u8],
        held: Option<Arc<dyn Held>>,
    ) -> Self {
        let request_id = request_id_headers
            .iter()
            .find_map(|name| headers.get(*name)?.to_str().ok())
            .map(str::to_owned);
        let kept = &body[..body.len().min(BODY_EXCERPT_BYTES)];
        Self(Box::new(MetaInner {
            status,
            headers,
            request_id,
            body_excerpt: Bytes::copy_from_slice(kept),
            body_len: body.len(),
            held,
            shown: OnceLock::new(),
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

    /// The first bytes of the body as received (at most [`BODY_EXCERPT_BYTES`]). **Raw**:
    /// nothing is masked, so whatever the vendor echoed is in it; to show or log the body, use
    /// [`ResponseMeta::masked_excerpt`].
    pub fn raw_body_excerpt(&self) -> &[u8] {
        &self.0.body_excerpt
    }

    /// The start of the body as text for people, as `Debug` shows it: the values of fields that
    /// hold secrets, anything shaped like a JWT and every credential the request was sent with
    /// masked, cut to 256 characters.
    pub fn masked_excerpt(&self) -> &str {
        let inner = &*self.0;
        inner.shown.get_or_init(|| {
            let held = inner
                .held
                .as_ref()
                .map(|held| held.held())
                .unwrap_or_default();
            let truncated = inner.body_excerpt.len() < inner.body_len;
            redact::excerpt(&inner.body_excerpt, truncated, &held).into_boxed_str()
        })
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
            .field("body", &self.masked_excerpt())
            .finish()
    }
}

/// What every error of every operation can tell about the failed call.
pub trait ErrorMetadata {
    /// The response behind the error, when there was one.
    fn response_meta(&self) -> Option<&ResponseMeta>;

    /// Whether sending the same request again may succeed, as the one retry table decides it (the one the send loop uses). For a
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn meta_with_retry_after(value: &str) -> ResponseMeta {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        ResponseMeta::new(StatusCode::TOO_MANY_REQUESTS, headers, &[], &[], None)
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
        let meta = ResponseMeta::new(StatusCode::OK, HeaderMap::new(), &[], &body, None);
        assert_eq!(meta.raw_body_excerpt().len(), BODY_EXCERPT_BYTES);
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
            Some(Arc::new(vec!["held-key-1".to_owned()])),
        );
        let shown = format!("{meta:?}");
        assert!(shown.contains("invalid_grant"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("held-key-1"),
            "{shown}"
        );
    }

    #[test]
    fn the_excerpt_is_masked_when_shown_never_when_the_error_is_made() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counting(AtomicUsize);
        impl Held for Counting {
            fn held(&self) -> Vec<String> {
                self.0.fetch_add(1, Ordering::Relaxed);
                vec!["held-key-1".to_owned()]
            }
        }
        let held = Arc::new(Counting(AtomicUsize::new(0)));
        let echo = br#"{"error":"invalid_client","note":"held-key-1"}"#;
        let meta = ResponseMeta::new(
            StatusCode::UNAUTHORIZED,
            HeaderMap::new(),
            &[],
            echo,
            Some(held.clone()),
        );
        let copy = meta.clone();
        assert_eq!(
            (meta.status(), copy.raw_body_excerpt().len()),
            (StatusCode::UNAUTHORIZED, echo.len())
        );
        assert_eq!(
            held.0.load(Ordering::Relaxed),
            0,
            "nothing masked on the way"
        );
        assert!(!meta.masked_excerpt().contains("held-key-1"));
        assert!(!format!("{meta:?}").contains("held-key-1"));
        assert_eq!(
            held.0.load(Ordering::Relaxed),
            1,
            "worked out once, then kept"
        );
    }
}
