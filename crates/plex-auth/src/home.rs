//! Plex Home: the Home's users, switching to one (with its PIN when it is protected), and the
//! switched user's token kept across restarts.

use auth_core::{ApiError, Secret, TokenStore, TokenStoreError};

use crate::errors::{GetHomeUsersError, SwitchHomeUserError};
use crate::models::{HomeUser, HomeUserAccount};
use crate::session::save_account_token;
use crate::{Client, ClientIdentity};

/// What listing the Home's users fails with.
pub type HomeUsersError = ApiError<GetHomeUsersError>;

/// What switching to a Home user fails with: a protected user's missing or wrong PIN is a 403
/// whose [`vendor_code`](crate::VendorCode::vendor_code) is
/// [`PlexCode::ManagedUserPinRequired`](crate::PlexCode::ManagedUserPinRequired) (1041).
pub type SwitchError = ApiError<SwitchHomeUserError>;

/// A switch to a Home user: a client that sends that user's token (and sees the servers that user
/// may use, [`Client::resources`]), and the user's account.
#[derive(Debug)]
#[non_exhaustive]
pub struct SwitchedUser {
    /// A client (sharing the connection pool) that sends the Home user's token with every call.
    pub client: Client,
    /// The Home user's account, with its `authToken`.
    pub account: HomeUserAccount,
}

impl SwitchedUser {
    /// Keeps the Home user's token in `store` under `key`, as [`LoggedIn::save`] keeps an
    /// account's: a later run starts with
    /// [`ClientIdentity::restore`](crate::ClientIdentity::restore) as that user.
    ///
    /// [`LoggedIn::save`]: crate::LoggedIn::save
    pub async fn save(
        &self,
        store: &impl TokenStore,
        key: &str,
        identity: &ClientIdentity,
    ) -> Result<(), TokenStoreError> {
        save_account_token(store, key, identity, &self.account.auth_token).await
    }
}

impl Client {
    /// The users of the Plex Home the account belongs to: the admin, managed users and members.
    /// A user whose `protected` is `Some(true)` has a PIN, which [`Client::switch_to`] needs.
    pub async fn home_users(&self) -> Result<Vec<HomeUser>, HomeUsersError> {
        Ok(self.authentication().get_home_users().await?.users)
    }

    /// Switches to the Home user `user` (one of [`Client::home_users`]), with its PIN when it is
    /// protected: a client for that user, sending a new token of it. This client keeps its own
    /// token; the switch does not sign it out.
    ///
    /// ```
    /// use plex_auth::{PlexCode, Secret, VendorCode};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
    /// # let config = PlexConfig { two_factor_code: None, ..Default::default() };
    /// # let (_fake, servers) = PlexFake::start(config.clone()).await?;
    /// # let identity = plex_auth::ClientIdentity::new("my-install-id");
    /// # let plex_auth::LoginOutcome::LoggedIn(logged_in) = builder(&servers, &identity).build()?
    /// #     .login(config.login, config.password).await? else { unreachable!() };
    /// # let client = logged_in.client;
    /// let users = client.home_users().await?;
    /// let kid = users.iter().find(|user| user.title == "Kid").expect("a Home user");
    /// let refused = client.switch_to(kid, None).await.unwrap_err();
    /// assert_eq!(refused.vendor_code(), Some(PlexCode::ManagedUserPinRequired));
    /// let switched = client.switch_to(kid, Some(Secret::from("1234"))).await?;
    /// println!("now acting as {}", switched.account.title.as_deref().unwrap_or("?"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn switch_to(
        &self,
        user: &HomeUser,
        pin: Option<Secret>,
    ) -> Result<SwitchedUser, SwitchError> {
        let account = self
            .authentication()
            .switch_home_user(&user.uuid, pin.as_ref())
            .await?;
        let client = self.with_token(account.auth_token.clone());
        Ok(SwitchedUser { client, account })
    }
}
