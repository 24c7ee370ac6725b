//! Signing in, and talking to the user's media server.

use auth_core::{Credentials, Error, Secret};

use crate::Client;
use crate::errors::PostUsersSignInDataError;
use crate::models::{SignInRequest, SignedInUserPlexAccount};

impl Client {
    /// Signs in with `login` and `password` (and the current two-factor `code` when the account
    /// has two-factor authentication). Gives the account and a client (sharing this one's
    /// connection pool) that sends its token with every call.
    pub async fn sign_in(
        &self,
        login: &str,
        password: impl Into<Secret>,
        code: Option<&str>,
    ) -> Result<(Client, SignedInUserPlexAccount), PostUsersSignInDataError> {
        let mut form = SignInRequest::new(login, password);
        form.verification_code = code.map(Secret::from);
        let account = self.authentication().post_users_sign_in_data(&form).await?;
        let client = self.with_token(account.auth_token.clone());
        Ok((client, account))
    }

    /// The same client sending `token` (an account or transient token) as `X-Plex-Token`.
    pub fn with_token(&self, token: impl Into<Secret>) -> Client {
        self.with_credentials(Credentials::ApiKey(token.into()))
    }

    /// The same client talking to the media server at `url` (such as
    /// `http://192.168.1.10:32400`).
    pub fn with_media_server(&self, url: &str) -> Result<Client, Error> {
        Ok(Client::from(
            self.core().with_server_url(crate::DEFAULT_SERVER, url)?,
        ))
    }
}
