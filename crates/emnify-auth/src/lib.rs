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

#[rustfmt::skip]
mod generated;
mod session;
#[cfg(feature = "totp")]
pub mod totp;

pub use auth_core::{self, Credentials, Error, ErrorMetadata, Secret};
pub use generated::{DEFAULT_SERVER, errors, models, operations};
pub use session::{
    ACTIVE_KEY_STATUS, Login, LoginError, LoginOutcome, MfaEnrollment, MfaPending, TOTP_KEY_TYPE,
};

/// A client of the emnify API: a configured [`auth_core::Client`] with emnify's operations.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    core: auth_core::Client,
}

impl Client {
    /// A builder with this crate's user agent. Point it elsewhere than emnify's API with
    /// `.server_url(emnify_auth::DEFAULT_SERVER, url)`, then wrap the result with [`Client::from`].
    pub fn builder() -> auth_core::ClientBuilder {
        auth_core::Client::builder().user_agent(concat!("emnify-auth/", env!("CARGO_PKG_VERSION")))
    }

    /// A client of emnify's production API with default settings.
    pub fn new(credentials: Credentials) -> Result<Self, Error> {
        Ok(Self::from(
            Self::builder().credentials(credentials).build()?,
        ))
    }

    /// The same client (sharing its connection pool) with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        Self::from(self.core.with_credentials(credentials))
    }

    /// The operations tagged `Authentication`.
    pub fn authentication(&self) -> operations::AuthenticationApi<'_> {
        operations::AuthenticationApi::new(&self.core)
    }

    /// The underlying transport.
    pub fn core(&self) -> &auth_core::Client {
        &self.core
    }
}

impl From<auth_core::Client> for Client {
    fn from(core: auth_core::Client) -> Self {
        Self { core }
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
