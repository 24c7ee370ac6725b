//! Logging in (with a two-factor code when the account has one) and signing out, and talking to
//! the user's media server.

use auth_core::{ApiError, Error, Secret, StoredToken, Token, TokenStore, TokenStoreError};

use crate::errors::PostUsersSignInDataError;
use crate::models::{SignInRequest, UserPlexAccount};
use crate::{Client, PlexCode, VendorCode};

/// What a login fails with: the error of the sign-in operation.
pub type LoginError = ApiError<PostUsersSignInDataError>;

/// What a login led to: [`LoginOutcome::LoggedIn`] when signed in, or
/// [`LoginOutcome::MfaRequired`] when the account has two-factor authentication (Plex code 1029):
/// finish with [`MfaPending::complete`] and the current code.
pub type LoginOutcome = auth_core::session::LoginOutcome<Box<LoggedIn>, MfaPending>;

/// A finished login: a client that sends the account's token, and the account. Next: the
/// account's servers ([`Client::resources`], [`Client::connect`]), or keep the token across
/// restarts ([`LoggedIn::save`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct LoggedIn {
    /// A client (sharing the connection pool) that sends the account's token with every call.
    pub client: Client,
    /// The account, with its `authToken` (as sign-in answers it, or token details for a PIN
    /// login).
    pub account: UserPlexAccount,
}

impl LoggedIn {
    /// Keeps the account's token in `store` under `key`, with the client identifier of
    /// `identity` (the one this login was made with: Plex ties the token to it), so that a
    /// later run starts with [`ClientIdentity::restore`](crate::ClientIdentity::restore)
    /// instead of a new login.
    pub async fn save(
        &self,
        store: &impl TokenStore,
        key: &str,
        identity: &crate::ClientIdentity,
    ) -> Result<(), TokenStoreError> {
        save_account_token(store, key, identity, &self.account.auth_token).await
    }
}

/// Keeps a plex.tv token in `store` under `key` with the client identifier of `identity`, which
/// Plex ties it to (read back by [`ClientIdentity::restore`](crate::ClientIdentity::restore)).
pub(crate) async fn save_account_token(
    store: &impl TokenStore,
    key: &str,
    identity: &crate::ClientIdentity,
    token: &Secret,
) -> Result<(), TokenStoreError> {
    let token = Token::new(token.clone());
    let stored = StoredToken::of(&token).with_client_identifier(identity.client_identifier.clone());
    store.save(key, &stored).await
}

/// A login waiting for the account's current two-factor code: [`MfaPending::complete`] gives
/// the [`LoggedIn`].
#[derive(Debug)]
pub struct MfaPending {
    client: Client,
    login: String,
    password: Secret,
}

impl MfaPending {
    /// Finishes the login with the current code of the account's authenticator.
    pub async fn complete(self, code: impl Into<Secret>) -> Result<LoggedIn, LoginError> {
        self.client
            .sign_in(&self.login, self.password, Some(code.into()))
            .await
    }
}

impl Client {
    /// A client of plex.tv that sends `identity` with every request, with default settings: log
    /// in, read the account, and point it at a media server with [`Client::with_media_server`].
    ///
    /// ```
    /// use plex_auth::{Client, ClientIdentity};
    ///
    /// let client = Client::new(&ClientIdentity::new("my-install-id").product("my-app"))?;
    /// assert_eq!(client.core().server_url(plex_auth::Server::PlexTv)?, "https://plex.tv/api/v2");
    /// # Ok::<(), plex_auth::Error>(())
    /// ```
    pub fn new(identity: &crate::ClientIdentity) -> Result<Client, Error> {
        identity.builder().build()
    }

    /// Logs in with `login` (user name or e-mail) and `password`. An account with two-factor
    /// authentication answers [`LoginOutcome::MfaRequired`]; finish it with
    /// [`MfaPending::complete`] and the current code.
    ///
    /// ```
    /// use plex_auth::{Client, ClientIdentity, LoginOutcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // The hidden lines run this against the crate's local fakes (`plex_auth::testing`).
    /// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
    /// # let (_fake, servers) = PlexFake::start(PlexConfig { password: "password".into(), two_factor_code: Some("123456".into()), ..Default::default() }).await?;
    /// let client = Client::new(&ClientIdentity::new("my-install-id"))?;
    /// # let client = builder(&servers, &ClientIdentity::new("my-install-id")).build()?;
    /// let logged_in = match client.login("user@example.org", "password").await? {
    ///     LoginOutcome::LoggedIn(logged_in) => *logged_in,
    ///     LoginOutcome::MfaRequired(pending) => pending.complete("123456").await?,
    ///     _ => unreachable!(),
    /// };
    /// println!("signed in as {}", logged_in.account.username);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(
        &self,
        login: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Result<LoginOutcome, LoginError> {
        let (login, password) = (login.into(), password.into());
        match self.sign_in(&login, password.clone(), None).await {
            Ok(logged_in) => Ok(LoginOutcome::LoggedIn(Box::new(logged_in))),
            Err(error) if error.vendor_code() == Some(PlexCode::TwoFactorRequired) => {
                Ok(LoginOutcome::MfaRequired(MfaPending {
                    client: self.clone(),
                    login,
                    password,
                }))
            }
            Err(error) => Err(error),
        }
    }

    async fn sign_in(
        &self,
        login: &str,
        password: Secret,
        code: Option<Secret>,
    ) -> Result<LoggedIn, LoginError> {
        let mut form = SignInRequest::new(login, password);
        form.verification_code = code;
        let account = self.authentication().post_users_sign_in_data(&form).await?;
        let client = self.with_token(account.auth_token.clone());
        Ok(LoggedIn { client, account })
    }

    /// Signs this client's token out at plex.tv: the token no longer works, anywhere. (A Home
    /// user's token from [`Client::switch_to`] is signed out the same way, on its own client.)
    pub async fn sign_out(&self) -> Result<(), ApiError<crate::errors::SignOutError>> {
        self.authentication().sign_out().await
    }

    /// The same client talking to the media server at `url` (such as
    /// `http://192.168.1.10:32400`).
    pub fn with_media_server(&self, url: &str) -> Result<Client, Error> {
        Ok(Client::from(
            self.core()
                .with_server_url(crate::Server::MediaServer, url)?,
        ))
    }
}
