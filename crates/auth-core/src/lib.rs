//! The runtime shared by the `emnify-auth`, `dintero-auth` and `plex-auth` crates. It knows
//! nothing of any vendor.
//!
//! | what | types |
//! |---|---|
//! | a configured client: servers, credentials, limits | [`Client`], [`ClientBuilder`], [`SpecServer`] |
//! | credentials | [`Credentials`] (one, or [`Credentials::several`] for schemes required together), [`Secret`] |
//! | logins: their outcome, refresh-then-login, the client a login hands back | [`session::LoginOutcome`], [`session::RefreshThenLogin`], [`session::Grants`], [`session::logged_in`] |
//! | tokens that stay valid | [`Token`], [`TokenSource`], [`TokenProvider`], [`TokenPolicy`], [`TokenError`] |
//! | tokens that survive restarts | [`TokenStore`], [`MemoryTokenStore`], [`FileTokenStore`], [`Stored`], [`StoredToken`], [`TokenStoreError`], `KeyringTokenStore` (feature `keyring`), `RedisTokenStore` (feature `redis`) |
//! | any other endpoint of the vendor, with the token | [`AuthorizedRequest`], [`AuthorizedResponse`], [`RequestError`], `TokenMiddleware` (feature `middleware`) |
//! | retries and timeouts | [`RetryPolicy`], [`Timeouts`] |
//! | errors | [`ApiError`], [`ApiErrorKind`], [`Error`], [`TokenError`], [`ResponseMeta`], [`ErrorMetadata`], [`TimeoutKind`] |
//! | path segments | [`encode_path`] |
//! | a success with its documented headers; a body that is not JSON; a documented 3xx | [`WithHeaders`], [`Bytes`], [`Redirect`], [`Redirected`] |
//!
//! - The client holds one reqwest connection pool, a base URL per server, limits, timeouts, and
//!   redirects that never carry credentials to another origin.
//! - A [`TokenSource`] caches a token and keeps it valid for every caller: one detached refresh
//!   per episode, refreshed ahead of expiry, paced after failures, every wait bounded.
//! - Errors keep status, headers, the request id and a bounded, masked excerpt of the body.
//!
//! The vendor crates' generated operations are written against a hidden module with no stability
//! promise; users meet the types above.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
#[path = "private/mod.rs"]
pub mod __private;
mod authorized;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
mod error;
mod retry;
mod secret;
pub mod session;
#[cfg(feature = "testing")]
pub mod testing;
mod token;
mod transport;

#[cfg(feature = "middleware")]
pub use authorized::TokenMiddleware;
pub use authorized::{AuthorizedRequest, AuthorizedResponse, RequestError};
pub use error::{
    ApiError, ApiErrorKind, BODY_EXCERPT_BYTES, Error, ErrorMetadata, ResponseMeta, TimeoutKind,
    TokenError, TokenErrorKind,
};
pub use retry::{RetryPolicy, Timeouts};
pub use secret::{REDACTED, Secret};
#[cfg(feature = "keyring")]
pub use token::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use token::RedisTokenStore;
pub use token::{DEFAULT_REFRESH_SKEW, TokenPolicy, TokenSource};
pub use token::{FetchFuture, Token, TokenProvider};
pub use token::{FileTokenStore, LONGEST_KEY_NAME};
pub use token::{
    LOCK_TTL, MemoryTokenStore, StoreFuture, Stored, StoredToken, TokenStore, TokenStoreError,
};

/// Re-exported so generated code and users name the same types.
pub use bytes::Bytes;
pub use reqwest::{Method, StatusCode, header};
pub use transport::{
    Client, ClientBuilder, Credentials, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_ID_HEADERS,
    Redirect, Redirected, SpecServer, WeakClient, WithHeaders, encode_path,
};

#[cfg(all(not(feature = "rustls"), not(feature = "native-tls")))]
compile_error!("auth-core needs a TLS backend: enable the `rustls` or the `native-tls` feature");

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
