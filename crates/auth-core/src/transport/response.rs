//! Responses as the generated operations see them: the status, headers and body of an answer,
//! turned into a typed value or error, with what the request was sent with to mask in errors.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::ApiErrorKind;
use crate::error::Error;
use crate::error::ResponseMeta;
use crate::secret::redact;
use crate::token::Token;
use crate::transport::credentials::Credentials;

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
    /// The secret values of its parameters.
    pub(crate) secrets: Option<Arc<Vec<crate::Secret>>>,
}

impl crate::error::Held for Sent {
    /// The secret values among them: the credentials, the token, the values of the request
    /// body's secret fields, and the secret parameters. Worked out only when an error's excerpt
    /// is shown.
    fn held(&self) -> Vec<String> {
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
        held.extend(
            self.secrets
                .iter()
                .flat_map(|secrets| secrets.iter())
                .map(|secret| secret.expose().to_owned()),
        );
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

    /// The body.
    pub(crate) fn body(&self) -> &Bytes {
        &self.body
    }

    /// Decodes the body as JSON into `T`; a failure names the field path where it failed.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|_| {
            let body = self.body.clone();
            Error::decode::<T>(self.into_meta(), &body)
        })
    }

    /// The body as text (a `text/*` or XML success); a body that is not UTF-8 is a decode
    /// error.
    pub fn text(self) -> Result<String, Error> {
        match String::from_utf8(self.body.to_vec()) {
            Ok(text) => Ok(text),
            Err(err) => Err(Error::Decode {
                path: ".".to_owned(),
                message: format!(
                    "the text body is not UTF-8 (invalid byte at {})",
                    err.utf8_error().valid_up_to()
                ),
                meta: self.into_meta(),
            }),
        }
    }

    /// A 3xx answer as a [`Redirect`](crate::Redirect): its status and `Location`.
    pub fn redirect(&self) -> crate::Redirect {
        crate::Redirect {
            status: self.status,
            location: self
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// The body as it came (a success of a media type that is neither JSON nor text).
    pub fn bytes(self) -> Bytes {
        self.body
    }

    /// A documented error status with no typed body: `error`.
    pub fn documented<E>(self, error: E) -> ApiErrorKind<E> {
        ApiErrorKind::Documented {
            error,
            meta: self.into_meta(),
        }
    }

    /// A documented error status whose body the spec types as `T`: `error` of the body when it
    /// decodes as JSON, of `None` when it does not (an HTML page, plain text, XML, an empty
    /// body). A documented status is always its documented error, whatever the body; the
    /// excerpt keeps what the body was.
    pub fn documented_with<T: DeserializeOwned, E>(
        self,
        error: impl FnOnce(Option<T>) -> E,
    ) -> ApiErrorKind<E> {
        let body = serde_json::from_slice(&self.body).ok();
        self.documented(error(body))
    }

    /// A status the operation does not document: [`ApiErrorKind::TooManyRequests`] for 429,
    /// [`ApiErrorKind::ServerError`] for 5xx, [`Error::UnexpectedStatus`] otherwise.
    pub fn undocumented<E>(self) -> ApiErrorKind<E> {
        ApiErrorKind::undocumented(self.into_meta())
    }

    /// The response as error metadata.
    pub(crate) fn into_meta(self) -> ResponseMeta {
        ResponseMeta::new(
            self.status,
            self.headers,
            self.request_id_headers,
            &self.body,
            Some(Arc::new(self.sent)),
        )
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
