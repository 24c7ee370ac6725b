//! A typed client of the [emnify](https://www.emnify.com) authentication API.
//!
//! Get a JWT from an application token or a user's credentials, finish logins that need a
//! one-time code, and manage MFA keys and trusted devices. [`Client::login`] gives a client that
//! keeps its auth token valid (refresh token, then a new login); [`Client::create_mfa_key`] and
//! [`MfaEnrollment`] enrol a TOTP key. Every operation of emnify's
//! `Authentication` group is a method of [`operations::AuthenticationApi`], named after its
//! operationId, with typed requests ([`models`]) and a typed error per operation ([`errors`]).
//!
//! ```no_run
//! use emnify_auth::{Client, Credentials, Secret};
//! use emnify_auth::models::{ApplicationTokenAuthentication, AuthenticationResponse};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Credentials::None)?;
//! let login = ApplicationTokenAuthentication::new(Secret::new("application-token"));
//! let tokens = match client.authentication().authenticate(&login.into()).await? {
//!     AuthenticationResponse::Tokens(tokens) => tokens,
//!     _ => return Err("this account wants a one-time code".into()),
//! };
//! let client = client.with_credentials(Credentials::Bearer(tokens.auth_token));
//! for kind in client.authentication().user_mfa_type_get().await? {
//!     println!("{} {:?}", kind.id, kind.description);
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

#[rustfmt::skip]
mod generated;
mod codes;
mod session;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "totp")]
pub mod totp;

#[cfg(feature = "keyring")]
pub use auth_core::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use auth_core::RedisTokenStore;
pub use auth_core::{
    self, ApiError, ApiErrorKind, AuthorizedRequest, AuthorizedResponse, Credentials, Error,
    ErrorMetadata, FileTokenStore, MemoryTokenStore, Method, RequestError, RetryPolicy, Secret,
    Timeouts, TokenError, TokenErrorKind, TokenProvider, TokenStore,
};
pub use codes::{EmnifyCode, VendorCode};
pub use generated::client::Client;
pub use generated::{Server, errors, models, operations};
pub use session::{
    ACTIVE_KEY_STATUS, ApplicationToken, LoginError, LoginOutcome, MfaEnrollment, MfaPending,
    PasswordLogin, RefreshToken, TOTP_KEY_TYPE,
};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
