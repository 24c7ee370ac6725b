//! A typed client of the [Plex](https://www.plex.tv) authentication API.
//!
//! Sign in to a plex.tv account, read the account behind a token, and, on the user's own Plex
//! Media Server, mint a transient token and read a source's connection information. Every
//! operation is a method of [`operations::AuthenticationApi`], named after its operationId, with
//! typed requests ([`models`]) and a typed error per operation ([`errors`]).
//!
//! Plex wants every request to say which application sends it: give a [`ClientIdentity`] once
//! and the client sends its `X-Plex-*` headers with every request. Tokens travel in
//! `X-Plex-Token` ([`Credentials::ApiKey`]). The media server's URL is the user's own: set it
//! with `.server_url(plex_auth::Server::MediaServer, url)`.
//!
//! Log in (with the two-factor code when the account has one), read the account, find its
//! media servers and talk to one with the token it may use. (The hidden lines point the client
//! at this crate's local fakes; against Plex it is `Client::new(&identity)?`.)
//!
//! ```
//! use plex_auth::{Client, ClientIdentity, LoginOutcome, Method};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let config = plex_auth::testing::PlexConfig { two_factor_code: None, ..Default::default() };
//! # let (_fake, servers) = plex_auth::testing::PlexFake::start(config.clone()).await?;
//! let identity = ClientIdentity::new("5b0b3c5e-my-install").product("my-app").version("1.0");
//! # let client = identity.builder()
//! #     .server_url(plex_auth::Server::PlexTv, format!("{}/api/v2", servers.plex_tv.url()))
//! #     .server_url(plex_auth::Server::PlexClients, format!("{}/api/v2", servers.plex_tv.url()))
//! #     .build()?;
//! # let (login, password) = (config.login, config.password);
//! let logged_in = match client.login(login, password).await? {
//!     LoginOutcome::LoggedIn(logged_in) => *logged_in,
//!     LoginOutcome::MfaRequired(pending) => pending.complete("123456").await?,
//!     _ => unreachable!("plex.tv answers a sign-in with the account or a request for the code"),
//! };
//! println!("signed in as {}", logged_in.account.username);
//!
//! // The account's media servers, each reached on its best connection with its own token.
//! for resource in logged_in.client.resources().await? {
//!     if resource.is_server() {
//!         let server = logged_in.client.connect(&resource).await?;
//!         let libraries = server.request(Method::GET, "/library/sections").send().await?;
//!         println!("{}: HTTP {}", resource.name, libraries.status());
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A service that acts for a household lists the Plex Home's users and switches to one
//! ([`Client::home_users`], [`Client::switch_to`]); one that holds a token for months keeps it
//! alive ([`Client::keep_alive`]); [`Client::sign_out`] ends a token. With the feature `jwt`,
//! a device logs in with its own key (`JwtDevice`, `PinLogin::start_with_key`) and every Plex
//! JWT is verified against the keys plex.tv publishes (`PlexKeys`).
//!
//! Every operation is also there as it is, named after its operationId:
//! `client.authentication().post_users_sign_in_data(..)` and the rest.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[rustfmt::skip]
mod generated;
mod codes;
mod home;
#[cfg(feature = "jwt")]
mod jwt;
mod keep_alive;
mod pin;
mod resources;
mod session;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "jwt")]
mod verify;

#[cfg(feature = "keyring")]
pub use auth_core::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use auth_core::RedisTokenStore;
pub use auth_core::{
    self, ApiError, ApiErrorKind, AuthorizedRequest, AuthorizedResponse, Credentials, Error,
    ErrorMetadata, FileTokenStore, MemoryTokenStore, Method, RequestError, RetryPolicy, Secret,
    Timeouts, TokenError, TokenErrorKind, TokenProvider, TokenStore,
};
pub use codes::{PlexCode, VendorCode};
pub use generated::client::Client;
pub use generated::{Server, errors, models, operations};
pub use home::{HomeUsersError, SwitchError, SwitchedUser};
#[cfg(feature = "jwt")]
pub use jwt::{DEFAULT_SCOPES, DeviceKey, DeviceKeyError, JwtDevice};
pub use keep_alive::{
    DEFAULT_KEEP_ALIVE_INTERVAL, KeepAlive, KeepAliveState, MIN_KEEP_ALIVE_INTERVAL, PingError,
    PingFailure,
};
pub use pin::{DEFAULT_POLL_INTERVAL, LINK_URL, PinLogin, PinOutcome, PinStartError, PinWaitError};
pub use resources::{ConnectError, ConnectOptions, DEFAULT_CONNECT_TIMEOUT, ResourcesError};
pub use session::{LoggedIn, LoginError, LoginOutcome, MfaPending};
#[cfg(feature = "jwt")]
pub use verify::{JwtVerifyError, KEYS_REFETCH_SPACING, PlexClaims, PlexKeys};

/// Who is calling: the `X-Plex-*` headers sent with every request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientIdentity {
    /// `X-Plex-Client-Identifier`: unique to this installation (a UUID, say); keep it stable.
    pub client_identifier: String,
    /// `X-Plex-Product`: the application's name.
    pub product: Option<String>,
    /// `X-Plex-Version`: the application's version.
    pub version: Option<String>,
    /// `X-Plex-Platform`: the platform it runs on.
    pub platform: Option<String>,
    /// `X-Plex-Device`: a friendly name of the device.
    pub device: Option<String>,
}

impl ClientIdentity {
    /// An identity with the installation's identifier and nothing else.
    pub fn new(client_identifier: impl Into<String>) -> Self {
        Self {
            client_identifier: client_identifier.into(),
            product: None,
            version: None,
            platform: None,
            device: None,
        }
    }

    /// Sets `X-Plex-Product`.
    pub fn product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Sets `X-Plex-Version`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Sets `X-Plex-Platform`.
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Sets `X-Plex-Device`.
    pub fn device(mut self, device: impl Into<String>) -> Self {
        self.device = Some(device.into());
        self
    }

    /// A [`Client`] builder (see [`Client::builder`]) that sends this identity with every
    /// request. Set the media server's URL with `.server_url(plex_auth::Server::MediaServer, url)`
    /// (or later with [`Client::with_media_server`]); `build()` gives the [`Client`].
    pub fn builder(&self) -> auth_core::ClientBuilder<Client> {
        self.headers()
            .fold(Client::builder(), |builder, (name, value)| {
                builder.header(name, value)
            })
    }

    /// The account token that [`LoggedIn::save`] kept under `key`, and this identity under the
    /// client identifier stored with it (Plex ties the token to that identifier, so it replaces
    /// this identity's own); `None` when nothing is stored.
    ///
    /// ```
    /// use plex_auth::{Client, ClientIdentity, FileTokenStore, LoginOutcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // The hidden lines run this against the crate's local fakes (`plex_auth::testing`).
    /// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
    /// # let (_fake, servers) = PlexFake::start(PlexConfig { password: "password".into(), two_factor_code: None, ..Default::default() }).await?;
    /// # let state = std::env::temp_dir().join(format!("plex-doc-{}-{}", std::process::id(), line!()));
    /// # // Twice: the first run logs in and saves, the second restores.
    /// # for _ in 0..2 {
    /// let store = FileTokenStore::new("/var/lib/my-app/tokens");
    /// # let store = FileTokenStore::new(&state);
    /// let new_client = |identity: &ClientIdentity| Client::new(identity);
    /// # let new_client = |identity: &ClientIdentity| builder(&servers, identity).build();
    /// let identity = ClientIdentity::new("a-new-install-id").product("my-app");
    /// let client = match identity.clone().restore(&store, "plex").await? {
    ///     Some((identity, token)) => new_client(&identity)?.with_token(token),
    ///     None => {
    ///         let LoginOutcome::LoggedIn(logged_in) =
    ///             new_client(&identity)?.login("user@example.org", "password").await?
    ///         else {
    ///             return Err("two-factor code needed".into());
    ///         };
    ///         logged_in.save(&store, "plex", &identity).await?;
    ///         logged_in.client
    ///     }
    /// };
    /// println!("{}", client.authentication().get_token_details().await?.username);
    /// # }
    /// # std::fs::remove_dir_all(&state)?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn restore(
        self,
        store: &impl auth_core::TokenStore,
        key: &str,
    ) -> Result<Option<(ClientIdentity, auth_core::Secret)>, auth_core::TokenStoreError> {
        let Some(stored) = store.load(key).await? else {
            return Ok(None);
        };
        let identity = match stored.client_identifier {
            Some(client_identifier) => ClientIdentity {
                client_identifier,
                ..self
            },
            None => self,
        };
        Ok(Some((identity, stored.access_token)))
    }

    /// The `X-Plex-*` headers of this identity (those that are set), for requests sent with
    /// another HTTP client; this crate's clients send them with every request.
    ///
    /// ```
    /// let identity = plex_auth::ClientIdentity::new("my-install-id").product("my-app");
    /// let headers: Vec<_> = identity.headers().collect();
    /// assert_eq!(
    ///     headers,
    ///     [("X-Plex-Client-Identifier", "my-install-id"), ("X-Plex-Product", "my-app")]
    /// );
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("X-Plex-Client-Identifier", Some(&self.client_identifier)),
            ("X-Plex-Product", self.product.as_ref()),
            ("X-Plex-Version", self.version.as_ref()),
            ("X-Plex-Platform", self.platform.as_ref()),
            ("X-Plex-Device", self.device.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?.as_str())))
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
