//! Requests to any endpoint of a vendor's API, beyond the operations the specs describe: a
//! builder that sends through the same send loop as the operations (credentials, token refresh,
//! one replay after a 401, retries, timeouts, body limit), and the answer it gets (this file);
//! the `reqwest-middleware` middleware that does the same for a user's own requests
//! (`middleware`, feature `middleware`). It uses `transport`, `error` and `token`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[cfg(feature = "middleware")]
pub(crate) mod middleware;
#[cfg(feature = "middleware")]
pub use middleware::TokenMiddleware;

use crate::error::Error;
use crate::error::{ApiError, ApiErrorKind};
use crate::transport::client::Client;
use crate::transport::credentials::Credentials;
use crate::transport::request::{Operation, OperationRef, OperationRequest, Security};
use crate::transport::response::Response;

/// How a request to any endpoint failed. It has the shape of every operation's error; no status
/// is documented, so [`ApiErrorKind::Documented`] never occurs: a 429 is
/// [`TooManyRequests`](ApiErrorKind::TooManyRequests), a 5xx
/// [`ServerError`](ApiErrorKind::ServerError), any other failure (another error status, a
/// timeout, a body that does not decode) [`Other`](ApiErrorKind::Other).
pub type RequestError = ApiError<Infallible>;

/// What a vendor crate says about its API for [`AuthorizedRequest`]s (generated, one `static`
/// per crate).
#[derive(Debug)]
pub struct Api {
    /// The API (vendor), such as `emnify`: errors name it.
    pub name: &'static str,
    /// How the API accepts credentials, as the spec's security schemes say.
    pub security: &'static [Security],
    /// The spec's servers (their URLs as the spec gives them).
    pub servers: &'static [&'static str],
}

/// A request to any endpoint of a vendor's API, made by the vendor client's `request(method,
/// path)`: the server's base URL, the client's credentials and default headers (Plex's
/// `X-Plex-*` identity) applied.
///
/// It is sent through the same loop as the generated operations: a token from the client's
/// token source, refreshed before it expires and, after a 401, refreshed and the request sent
/// once more; retries as the client's [`RetryPolicy`](crate::RetryPolicy) allows (after the
/// request may have reached the server, only for GET, HEAD, PUT, DELETE, OPTIONS, or when
/// marked [`retry_safe`](AuthorizedRequest::retry_safe)); the client's timeouts and body limit.
///
/// A mistake in building it (a header value that is not allowed, a body that does not encode)
/// is reported when it is sent.
#[must_use = "a request does nothing until it is sent"]
pub struct AuthorizedRequest {
    client: Client,
    api: &'static str,
    request: Result<OperationRequest, Error>,
}

impl fmt::Debug for AuthorizedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither headers nor body: either may hold a secret.
        let mut debug = f.debug_struct("AuthorizedRequest");
        debug.field("api", &self.api);
        if let Ok(request) = &self.request {
            debug
                .field("method", &request.operation.method)
                .field("path", &request.path);
        }
        debug.finish_non_exhaustive()
    }
}

impl AuthorizedRequest {
    /// A request of `api` to `path` on the server the spec writes as `server`.
    pub(crate) fn new(
        client: &Client,
        api: &'static Api,
        server: &'static str,
        method: Method,
        path: &str,
    ) -> Self {
        let request = target(client, server, path).map(|()| {
            let idempotent = matches!(
                method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            );
            // Without credentials the request goes out without them (a public endpoint);
            // with credentials, they are sent as the vendor's API accepts them.
            let security = match client.credentials() {
                Credentials::None => &[],
                _ => api.security,
            };
            OperationRequest::of(
                OperationRef::Owned(Box::new(Operation {
                    api: api.name,
                    id: "request",
                    name: "request",
                    method,
                    server,
                    path: "(any)",
                    security,
                    idempotent,
                })),
                path.to_owned(),
            )
        });
        Self {
            client: client.clone(),
            api: api.name,
            request,
        }
    }

    fn map(
        mut self,
        change: impl FnOnce(OperationRequest) -> Result<OperationRequest, Error>,
    ) -> Self {
        self.request = self.request.and_then(change);
        self
    }

    /// Adds a query parameter (form-encoded into the URL).
    pub fn query(self, name: &str, value: impl ToString) -> Self {
        let name = name.to_owned();
        self.map(|mut request| {
            request.query.push((Cow::Owned(name), value.to_string()));
            Ok(request)
        })
    }

    /// Adds a header (on top of the client's default headers).
    pub fn header(self, name: &str, value: impl ToString) -> Self {
        let name = name.to_owned();
        self.map(|mut request| {
            request.headers.push((Cow::Owned(name), value.to_string()));
            Ok(request)
        })
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.map(|request| request.json(body))
    }

    /// Sets an `application/x-www-form-urlencoded` body (a flat object; `null` fields left out).
    pub fn form<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.map(|request| request.form(body))
    }

    /// Sets a body of `content_type`, sent as it is.
    pub fn body(self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let bytes = body.into();
        self.map(|request| Ok(request.body(content_type, bytes)))
    }

    /// Marks the request as safe to send twice (a POST with an idempotency key, say), so that it
    /// is retried after an answer or failure that may have reached the server.
    pub fn retry_safe(self) -> Self {
        self.map(|mut request| {
            request.operation.mark_idempotent();
            Ok(request)
        })
    }

    /// Sends the request and reads the answer, whatever its status: decode a 2xx body with
    /// [`AuthorizedResponse::json`], check with [`AuthorizedResponse::error_for_status`].
    pub async fn send(self) -> Result<AuthorizedResponse, RequestError> {
        let api = self.api;
        let request = self.request.map_err(|error| failed(api, error))?;
        match self.client.send(request).await {
            Ok(response) => Ok(AuthorizedResponse { api, response }),
            Err(error) => Err(failed(api, error)),
        }
    }
}

/// Checks that `path` stays on the server's origin: it must start with `/` and carry no
/// fragment. That is enough: a base URL is `scheme://authority[/path]` with no query, fragment
/// or user-info (`normalize_base_url`), so whatever follows a `/` appended to it is path (or
/// query), never authority (`tests::a_path_that_starts_with_a_slash_keeps_the_origin`). The
/// URL itself is parsed once, when the request is built; parsing it here as well cost two URL
/// parses per call.
fn target(client: &Client, server: &'static str, path: &str) -> Result<(), Error> {
    let invalid = |why: &str| Error::InvalidRequest(format!("path {path:?} {why}"));
    if !path.starts_with('/') {
        return Err(invalid("must start with `/`"));
    }
    if path.contains('#') {
        return Err(invalid("must not have a fragment"));
    }
    client.base_url(server).map(|_| ())
}

/// The error of a request to any endpoint of `api`.
fn failed(api: &'static str, error: Error) -> RequestError {
    ApiError::new(api, "request", ApiErrorKind::Other(error))
}

/// The answer to an [`AuthorizedRequest`]: status, headers and the body, read up to the client's
/// limit. `Debug` shows the status and the body's length only.
pub struct AuthorizedResponse {
    api: &'static str,
    response: Response,
}

impl fmt::Debug for AuthorizedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizedResponse")
            .field("status", &self.response.status())
            .field("body_len", &self.response.body().len())
            .finish_non_exhaustive()
    }
}

impl AuthorizedResponse {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        self.response.body()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.response.body())
    }

    /// Decodes a 2xx answer's JSON body as `T` (a failure names the field path where it failed);
    /// any other status is the error of [`AuthorizedResponse::error_for_status`]. For the body of
    /// an error status, read [`AuthorizedResponse::bytes`].
    pub fn json<T: DeserializeOwned>(self) -> Result<T, RequestError> {
        let answer = self.error_for_status()?;
        let api = answer.api;
        answer.response.json().map_err(|error| failed(api, error))
    }

    /// The answer when its status is 2xx; an error otherwise, with status, headers, request id
    /// and a bounded, masked excerpt of the body ([`ApiErrorKind::TooManyRequests`] for 429,
    /// [`ApiErrorKind::ServerError`] for 5xx, [`Error::UnexpectedStatus`] for the others).
    pub fn error_for_status(self) -> Result<Self, RequestError> {
        if self.response.status().is_success() {
            return Ok(self);
        }
        Err(ApiError::new(
            self.api,
            "request",
            self.response.undocumented(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use url::Url;

    use crate::transport::client::normalize_base_url;

    proptest! {
        /// Why `target` needs no URL parse: any text after a `/`, appended to a base URL, stays
        /// on the base's origin (or makes no URL at all, which the build refuses).
        #[test]
        fn a_path_that_starts_with_a_slash_keeps_the_origin(
            base in prop::sample::select(vec![
                "https://api.example.com",
                "https://api.example.com/v1/",
                "http://127.0.0.1:8080/a/b",
                "http://[::1]:9/",
                "https://xn--bcher-kva.example:8443",
            ]),
            rest in "[ -\\x7e\\\\@:%/?.\\[\\]éü\\u{0}\\t]{0,40}",
        ) {
            let base = normalize_base_url(base).unwrap();
            let origin = Url::parse(&base).unwrap().origin();
            let path = format!("/{}", rest.replace('#', ""));
            if let Ok(url) = Url::parse(&format!("{base}{path}")) {
                prop_assert_eq!(url.origin(), origin, "{}", path);
            }
        }
    }

    #[test]
    fn the_paths_that_once_tried_to_leave_stay() {
        let base = normalize_base_url("https://api.example.com/v1").unwrap();
        for path in [
            "//evil.example/x",
            "/\\evil.example",
            "/..//evil.example",
            "/@evil.example",
            "/:443@evil",
            "/%2F%2Fevil",
        ] {
            let url = Url::parse(&format!("{base}{path}")).unwrap();
            assert_eq!(url.host_str(), Some("api.example.com"), "{path}");
        }
    }
}
