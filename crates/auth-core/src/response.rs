//! Responses as the generated operations see them: the status, headers and body of an answer,
//! turned into a typed value or error, with what the request was sent with to mask in errors.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::credentials::Credentials;
use crate::error::{ApiError, Error};
use crate::meta::ResponseMeta;
use crate::redact;
use crate::token::Token;

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
