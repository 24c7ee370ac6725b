//! The runtime shared by the `emnify-auth`, `dintero-auth` and `plex-auth` crates.
//!
//! It knows nothing of any vendor. It owns:
//!
//! - the HTTP transport ([`Client`]): one reqwest connection pool, base URLs per server, limits,
//!   timeouts, and redirects that never carry credentials to another origin;
//! - credentials ([`Credentials`]): bearer token, API key in a header, HTTP Basic, or none;
//! - retries ([`RetryPolicy`]: backoff with jitter, `Retry-After`, only where repeating is safe)
//!   and timeouts ([`Timeouts`]: connect, per attempt, total), per client and per call;
//! - requests ([`Request`]) of an [`Operation`] with path parameters encoded as single path segments ([`encode_path`]);
//! - responses ([`Response`]) read up to a size limit, and errors ([`Error`], [`ApiError`],
//!   [`ErrorMetadata`]) that keep status, headers, request id and a bounded body excerpt;
//! - [`TokenSource`]: a cached token, refreshed ahead of expiry in one detached refresh for all
//!   callers, paced by a [`TokenPolicy`] after failures, every wait bounded;
//! - [`Secret`], the string type of every password, token, key and code.
//!
//! Generated operations of the vendor crates are written against this API; users mostly meet
//! [`Secret`], [`Credentials`], [`Error`] and [`ErrorMetadata`].

#![deny(missing_docs)]

mod body;
mod builder;
mod client;
mod credentials;
mod encode;
mod error;
mod meta;
mod metadata;
mod redact;
mod redirect;
mod request;
mod response;
mod retry;
mod secret;
mod send;
pub mod support;
#[cfg(feature = "rustls")]
mod tls;
mod token;
mod token_source;

pub use builder::{ClientBuilder, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_ID_HEADERS};
pub use client::Client;
pub use credentials::Credentials;
pub use encode::encode_path;
pub use error::{ApiError, Error, TimeoutKind};
pub use meta::{BODY_EXCERPT_BYTES, ResponseMeta};
pub use metadata::{ErrorMetadata, status_is_retryable};
pub use request::{Operation, Request, Security};
pub use response::Response;
pub use retry::{Repeat, RetryPolicy, Timeouts};
pub use secret::{REDACTED, Secret};
pub use token::{FetchError, FetchFuture, Token, TokenProvider};
pub use token_source::{DEFAULT_REFRESH_SKEW, TokenPolicy, TokenSource};

/// Re-exported so generated code and users name the same types.
pub use reqwest::{Method, StatusCode, header};

#[cfg(all(not(feature = "rustls"), not(feature = "native-tls")))]
compile_error!("auth-core needs a TLS backend: enable the `rustls` or the `native-tls` feature");

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
