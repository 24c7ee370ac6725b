//! A typed client of the [emnify](https://www.emnify.com) authentication API.
//!
//! Get a JWT from an application token or a user's credentials, finish logins that need a
//! one-time code, and manage MFA keys and trusted devices. [`Client::login`] gives a client that
//! keeps its auth token valid (refresh token, then a new login); [`Client::create_mfa_key`] and
//! [`MfaEnrollment`] enrol a TOTP key. Every operation of emnify's
//! `Authentication` group is a method of [`operations::AuthenticationApi`], named after its
//! operationId, with typed requests ([`models`]) and a typed error per operation ([`errors`]).
//!
//! A service logs in with an application token from the emnify portal, and calls any endpoint of
//! emnify's API with the auth token the client keeps valid; a person logs in with a password and,
//! when MFA is on, a one-time code. (The hidden lines point the client at this crate's local fake;
//! against emnify it is `Client::new(Credentials::None)?`.)
//!
//! ```
//! use emnify_auth::{ApplicationToken, Client, Credentials, LoginOutcome, Method};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let config = emnify_auth::testing::EmnifyConfig::default();
//! # let (_fake, server) = emnify_auth::testing::EmnifyFake::start(config.clone()).await?;
//! # let client = Client::builder().server_url(emnify_auth::Server::Api, server.url()).build()?;
//! # let application_token = config.application_token.clone();
//! // A service: each auth token comes from the application token, and is renewed before it expires.
//! let service = client.with_token_provider(ApplicationToken::new(&client, application_token));
//! let endpoints: Vec<serde_json::Value> =
//!     service.request(Method::GET, "/api/v1/endpoint").send().await?.json()?;
//! println!("{} endpoints", endpoints.len());
//!
//! // A person: a password, and the current code of the MFA key when MFA is on.
//! let user = match client.login(config.username, config.password).await? {
//!     LoginOutcome::LoggedIn(client) => client,
//!     LoginOutcome::MfaRequired(pending) => pending.complete("123456").await?,
//!     _ => unreachable!("emnify answers a login with tokens or a request for a code"),
//! };
//! for kind in user.authentication().user_mfa_type_get().await? {
//!     println!("MFA key type {}: {:?}", kind.id, kind.description);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every operation of emnify's `Authentication` and `Application Tokens` groups is also there
//! as it is, named after its operationId: `client.authentication().authenticate(..)` and the rest.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
