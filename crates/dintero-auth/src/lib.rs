//! A typed client of the [Dintero](https://www.dintero.com) authentication API.
//!
//! Get access tokens for an account (client credentials, password, refresh token, authorization
//! code, MFA out-of-band), request MFA challenges and run MFA recovery. The token operation is a
//! method of [`operations::AuthenticateApi`], the challenge and recovery operations of
//! [`operations::ChallengeApi`], each named after its operationId, with typed requests
//! ([`models`]) and a typed error per operation ([`errors`]).
//!
//! ```no_run
//! use dintero_auth::{Client, Credentials};
//! use dintero_auth::models::ClientCredentials;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Credentials::basic("client-id", "client-secret"))?;
//! let grant = ClientCredentials::new("https://api.dintero.com/v1/accounts/T00000000");
//! let token = client
//!     .authenticate()
//!     .aid_auths_oauth_token_post("T00000000", &grant.into())
//!     .await?;
//! println!("token expires in {} s", token.expires_in);
//! # Ok(())
//! # }
//! ```

#[rustfmt::skip]
mod generated;
mod session;

pub use auth_core::{self, Credentials, Error, ErrorMetadata, Secret};
pub use generated::{DEFAULT_SERVER, errors, models, operations};
pub use session::{
    MFA_REQUIRED, MfaRequired, OobChallenge, RecoveryOutcome, TokenOutcome, token_of,
};

/// A client of the Dintero API: a configured [`auth_core::Client`] with Dintero's operations.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    core: auth_core::Client,
}

impl Client {
    /// A builder with this crate's user agent. Point it elsewhere than Dintero's API with
    /// `.server_url(dintero_auth::DEFAULT_SERVER, url)`, then wrap the result with [`Client::from`].
    pub fn builder() -> auth_core::ClientBuilder {
        auth_core::Client::builder().user_agent(concat!("dintero-auth/", env!("CARGO_PKG_VERSION")))
    }

    /// A client of Dintero's production API with default settings.
    pub fn new(credentials: Credentials) -> Result<Self, Error> {
        Ok(Self::from(
            Self::builder().credentials(credentials).build()?,
        ))
    }

    /// The same client (sharing its connection pool) with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Self {
        Self::from(self.core.with_credentials(credentials))
    }

    /// The operations tagged `authenticate` (access tokens).
    pub fn authenticate(&self) -> operations::AuthenticateApi<'_> {
        operations::AuthenticateApi::new(&self.core)
    }

    /// The operations tagged `challenge` (MFA challenges and recovery).
    pub fn challenge(&self) -> operations::ChallengeApi<'_> {
        operations::ChallengeApi::new(&self.core)
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
