//! The runtime's errors: what can fail on any call whatever the operation (configuration,
//! transport, timeouts, tokens, undocumented statuses, decoding).

use std::fmt;

use crate::meta::ResponseMeta;
use crate::token::TokenError;

/// A failure that is not a documented error response of the operation: the request could not be
/// built or sent, the server answered a status the operation does not document, or the body could
/// not be read or decoded.
///
/// No variant prints a secret or a response body: a body excerpt is kept in [`ResponseMeta`] and
/// only shown when asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (for example a base URL that does not parse).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The request could not be built from the given input (for example a path parameter of `..`
    /// or a header value with a line break).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The operation needs credentials of a kind the client does not hold.
    #[error(
        "operation {operation} needs credentials ({accepted}) and the client has none that fit"
    )]
    MissingCredentials {
        /// The operation's name.
        operation: &'static str,
        /// The security schemes the operation accepts.
        accepted: String,
    },
    /// The client's credentials cannot be sent: a token or key that is no valid header value (a
    /// line break or another control character in it, say). Nothing was sent, and nothing is
    /// retried.
    #[error("operation {operation} cannot send the client's credentials: {reason}")]
    InvalidCredentials {
        /// The operation's name.
        operation: &'static str,
        /// What is wrong with them (never their value).
        reason: &'static str,
    },
    /// The operation is served from a server whose URL has to be given (its URL in the spec is a
    /// template), and none was.
    #[error("no URL configured for server {0}")]
    MissingServerUrl(&'static str),
    /// Connecting, sending or receiving failed.
    #[error("transport failure")]
    Transport(#[source] reqwest::Error),
    /// Getting a fresh token for the request failed. Every caller that waited for the same refresh
    /// gets the same cause; callers arriving while the source backs off after the failure get it
    /// at once, without a new token request.
    #[error("could not get a token")]
    TokenRefresh(#[source] TokenError),
    /// The request did not finish in time.
    #[error("request timed out ({0})")]
    Timeout(TimeoutKind),
    /// The response body was larger than the configured limit; it was not read past the limit.
    #[error("response body exceeds the limit of {limit} bytes (status {})", .meta.status())]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// What was received before the limit.
        meta: ResponseMeta,
    },
    /// The server answered with a status the operation does not document.
    #[error("unexpected HTTP status {}", .0.status())]
    UnexpectedStatus(ResponseMeta),
    /// The vendor answered a step of a flow with something the step cannot go on from (for
    /// example asking for a one-time code again right after accepting one).
    #[error("unexpected answer: {0}")]
    UnexpectedAnswer(&'static str),
    /// The body of a documented response did not decode into its type.
    #[error(
        "could not decode the HTTP {} response body at `{path}`: {message}",
        .meta.status()
    )]
    Decode {
        /// The response whose body failed to decode.
        meta: ResponseMeta,
        /// Where in the body decoding failed, as a field path (`errors[0].code`; `.` for the
        /// body itself).
        path: String,
        /// What was wrong (values from the body are left out).
        message: String,
    },
}

impl Error {
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        // The URL of our requests never holds a secret, but a caller's proxy URL might: drop it.
        let err = err.without_url();
        if err.is_builder() {
            // The request could not be built: it can never be sent, so it is not retried.
            return Error::InvalidRequest(format!("cannot build the request: {err}"));
        }
        match (err.is_timeout(), err.is_connect()) {
            (true, true) => Error::Timeout(TimeoutKind::Connect),
            (true, false) => Error::Timeout(TimeoutKind::Attempt),
            _ => Error::Transport(err),
        }
    }

    /// The error of `body` not decoding as `T`, naming the field path where it failed.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(meta: ResponseMeta, body: &[u8]) -> Self {
        // Decoding again to find the path costs nothing on the success path, which never comes here.
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(err) => (err.path().to_string(), err.into_inner().to_string()),
            // The value decoded: what failed is what trails it.
            Ok(_) => (
                ".".to_owned(),
                deserializer.end().err().map_or_else(
                    || "the body did not decode".to_owned(),
                    |err| err.to_string(),
                ),
            ),
        };
        Error::Decode {
            meta,
            path,
            message: redact_quoted(&message),
        }
    }
}

/// Which limit a timed-out request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting took longer than the connect timeout.
    Connect,
    /// One attempt took longer than the attempt timeout.
    Attempt,
    /// The call, retries included, took longer than the total timeout.
    Total,
    /// The call's total timeout ran out while it waited for a token (the token endpoint was slow,
    /// or stalled). The refresh goes on without the call, and later calls join it.
    Token,
    /// The token request took longer than its own timeout
    /// ([`TokenPolicy::request_timeout`](crate::TokenPolicy::request_timeout)).
    TokenRequest,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Total => "total",
            TimeoutKind::Token => "waiting for a token",
            TimeoutKind::TokenRequest => "token request",
        })
    }
}

/// serde_json quotes offending string values (`invalid type: string "…"`); field and variant names
/// come in backticks. Keep the names, drop the values, which may be secrets.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (index, part) in parts.enumerate() {
        if index % 2 == 0 {
            out.push_str("\"…\"");
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_messages_keep_names_and_drop_values() {
        let err = serde_json::from_str::<u32>("\"p4ssw0rd\"").unwrap_err();
        let message = redact_quoted(&err.to_string());
        assert!(!message.contains("p4ssw0rd"), "{message}");
        assert!(message.contains("invalid type"), "{message}");

        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Token {
            auth_token: String,
        }
        let err = serde_json::from_str::<Token>("{}").unwrap_err();
        assert!(redact_quoted(&err.to_string()).contains("`auth_token`"));
    }
}
