//! Every error of the runtime, in one place: [`Error`] (what can fail on any call whatever the
//! operation: configuration, transport, timeouts, tokens, undocumented statuses, decoding, here),
//! [`ApiError`] (an operation's failure, with its documented errors), [`TokenError`] (why no
//! token could be had), what each keeps of the response ([`ResponseMeta`]) and the trait that
//! reads it from any of them ([`ErrorMetadata`]), and the one table of what may be sent again
//! ([`Repeat`]). It uses only `secret` and `redact` below it; everything else uses it.

use std::fmt;

mod api;
mod metadata;
mod repeat;
mod token;

pub use api::{ApiError, ApiErrorKind};
pub(crate) use metadata::Held;
pub(crate) use metadata::answer_may_succeed;
#[cfg(test)]
pub(crate) use metadata::retry_after;
pub use metadata::{BODY_EXCERPT_BYTES, ErrorMetadata, ResponseMeta};
pub(crate) use repeat::Repeat;
pub use token::{TokenError, TokenErrorKind};

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
    /// The client may reach only some hosts ([`ClientBuilder::only_hosts`], as the vendor
    /// crates' `testing::builder` sets for their fakes), and the request's server is on
    /// another. Nothing was sent.
    ///
    /// [`ClientBuilder::only_hosts`]: crate::ClientBuilder::only_hosts
    #[error("host {host:?} is not one this client may reach")]
    HostNotAllowed {
        /// The host the request would have gone to.
        host: String,
    },
    /// Connecting, sending or receiving failed.
    #[error("transport failure")]
    Transport(#[source] reqwest::Error),
    /// Getting a fresh token for the request failed. Every caller that waited for the same refresh
    /// gets the same cause; callers arriving while the source backs off after the failure get it
    /// at once, without a new token request. Its `Display` is the [`TokenError`]'s, which says
    /// why ("could not get a token: the token endpoint refused the credentials").
    #[error(transparent)]
    TokenRefresh(TokenError),
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
            message: without_values(&message),
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

/// A decoder's message with the values from the body left out, which may be secrets: serde
/// writes them quoted (`invalid type: string "…"`) or in backticks (`integer `987``, `unknown
/// variant `…``). What it expected (after `, expected`) comes from our types and is kept, and
/// so are field names (`missing field `auth_token``).
fn without_values(message: &str) -> String {
    let (said, expected) = message
        .find(", expected")
        .map_or((message, ""), |at| message.split_at(at));
    let mut out = String::with_capacity(message.len());
    let mut rest = said;
    while let Some(start) = rest.find(['"', '`']) {
        let (before, quoted) = rest.split_at(start);
        let quote = quoted.as_bytes()[0];
        // The closing quote: the next one not escaped (serde escapes `"` in strings as `\"`).
        let mut end = None;
        let mut escaped = false;
        for (i, byte) in quoted.bytes().enumerate().skip(1) {
            match byte {
                b'\\' if !escaped => escaped = true,
                _ if byte == quote && !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let end = end.map_or(quoted.len(), |end| end + 1);
        out.push_str(before.trim_end());
        if before.trim_end().ends_with("field") {
            // A field name: ours or the body's key, not a value.
            out.push(' ');
            out.push_str(&quoted[..end]);
        }
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out.push_str(expected);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_messages_keep_names_and_expectations_and_drop_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Token {
            auth_token: String,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            Known,
        }
        let cases: [(&str, serde_json::Error, &str); 5] = [
            (
                "p4ssw0rd",
                serde_json::from_str::<u32>(r#""p4ssw0rd""#).unwrap_err(),
                "invalid type: string, expected u32",
            ),
            (
                "987654321987",
                serde_json::from_str::<Token>(r#"{"auth_token":987654321987}"#).unwrap_err(),
                "invalid type: integer, expected a string",
            ),
            (
                "s3cr",
                serde_json::from_str::<Token>(r#"{"auth_token":["s3cr\"et"]}"#).unwrap_err(),
                "invalid type: sequence, expected a string",
            ),
            (
                "hunter2",
                serde_json::from_str::<Kind>(r#""hunter2""#).unwrap_err(),
                "unknown variant, expected `Known`",
            ),
            (
                "(none)",
                serde_json::from_str::<Token>("{}").unwrap_err(),
                "missing field `auth_token`",
            ),
        ];
        for (value, error, kept) in cases {
            let message = without_values(&error.to_string());
            assert!(!message.contains(value), "{value} in {message}");
            assert!(message.starts_with(kept), "{kept:?} of {message:?}");
        }
        // A value with a quote of its own, or one never closed, leaves nothing behind.
        assert_eq!(without_values("invalid value: `ab"), "invalid value:");
        assert_eq!(
            without_values(r#"invalid type: string "a\"b\"c", expected u8"#),
            "invalid type: string, expected u8"
        );
    }
}
