//! A typed client of the [Dintero](https://www.dintero.com) authentication API.
//!
//! Get access tokens for an account (client credentials, password, refresh token, authorization
//! code, MFA out-of-band), request MFA challenges and run MFA recovery. The token operation is a
//! method of [`operations::AuthenticationApi`], the challenge and recovery operations of
//! [`operations::ChallengeApi`], each named after its operationId, with typed requests
//! ([`models`]) and a typed error per operation ([`errors`]).
//!
//! ```no_run
//! use dintero_auth::{Client, Credentials};
//! use dintero_auth::models::ClientCredentialsGrant;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Credentials::basic("client-id", "client-secret"))?;
//! let grant = ClientCredentialsGrant::new("https://api.dintero.com/v1/accounts/T00000000");
//! let token = client
//!     .authentication()
//!     .aid_auths_oauth_token_post("T00000000", &grant.into())
//!     .await?;
//! println!("token expires in {} s", token.expires_in);
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

#[cfg(feature = "keyring")]
pub use auth_core::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use auth_core::RedisTokenStore;
pub use auth_core::{
    self, ApiError, ApiErrorKind, AuthorizedRequest, AuthorizedResponse, Credentials, Error,
    ErrorMetadata, FileTokenStore, MemoryTokenStore, Method, RequestError, RetryPolicy, Secret,
    Timeouts, TokenError, TokenErrorKind, TokenProvider, TokenStore,
};
pub use codes::{DinteroCode, VendorCode};
pub use generated::client::Client;
pub use generated::{Server, errors, models, operations};
pub use session::{
    AccountUserToken, ClientCredentials, LoginError, LoginOutcome, MFA_REQUIRED, MfaPending,
    OobChallenge, PasswordLogin, RecoveryOutcome, RefreshToken,
};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
