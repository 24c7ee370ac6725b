//! A typed client of the [Dintero](https://www.dintero.com) authentication API.
//!
//! Get access tokens for an account (client credentials, password, refresh token, authorization
//! code, MFA out-of-band), request MFA challenges and run MFA recovery. The token operation is a
//! method of [`operations::AuthenticationApi`], the challenge and recovery operations of
//! [`operations::ChallengeApi`], each named after its operationId, with typed requests
//! ([`models`]) and a typed error per operation ([`errors`]).
//!
//! An API client gets its access tokens with the client-credentials grant, kept valid by the
//! client; a user logs in with the password grant on that client and, when MFA is on, a code sent
//! by SMS or e-mail. (The hidden lines point the client at this crate's local fake; against
//! Dintero it is `Client::new(Credentials::None)?`.)
//!
//! ```
//! use dintero_auth::models::{OobChannel, PasswordGrant};
//! use dintero_auth::{Client, ClientCredentials, LoginOutcome};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let config = dintero_auth::testing::DinteroConfig { user_has_mfa: false, ..Default::default() };
//! # let (_fake, server) = dintero_auth::testing::DinteroFake::start(config.clone()).await?;
//! # let base = Client::builder().server_url(dintero_auth::Server::Api, server.url()).build()?;
//! # let (account, id, secret) = (config.account_id.clone(), config.client_id.clone(), config.client_secret.clone());
//! // The API client's own tokens, for an audience.
//! let audience = format!("https://api.dintero.com/v1/accounts/{account}");
//! let client = base.with_token_provider(ClientCredentials::new(&base, &account, id, secret, &audience));
//! let token = client.bearer_token().await?; // for another library; calls send it themselves
//!
//! // A user of the account, on that client.
//! let grant = PasswordGrant::new(config.username, config.password, &audience);
//! let user = match client.login(&account, grant).await? {
//!     LoginOutcome::LoggedIn(user) => user,
//!     LoginOutcome::MfaRequired(pending) => {
//!         let challenge = pending.challenge(OobChannel::Sms).await?;
//!         challenge.complete("123456").await?
//!     }
//!     _ => unreachable!("Dintero answers the password grant with tokens or mfa_required"),
//! };
//! println!("user token {:?}", user.bearer_token().await?); // Debug shows no secret
//! # Ok(())
//! # }
//! ```
//!
//! Every operation is also there as it is, named after its operationId:
//! `client.authentication().aid_auths_oauth_token_post(..)` and the rest.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
