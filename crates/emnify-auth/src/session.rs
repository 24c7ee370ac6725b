//! Logins that keep a valid auth token, MFA logins, and MFA key enrolment.

use std::sync::{Mutex, PoisonError};

use auth_core::{Credentials, FetchFuture, Secret, Token, TokenProvider, TokenSource};

use crate::Client;
use crate::errors::{AuthenticateError, PostMfaError, UserMfaByIdPatchError};
use crate::models::{
    ActivateMfaKeyRequest, ApplicationTokenAuthentication, Authentication, AuthenticationResponse,
    AuthenticationTokens, CreateMfaKeyRequest, CreateMfaKeyResponse, IdRef, MfaCodeAuthentication,
    RefreshTokenAuthentication, UserAuthentication,
};

/// The MFA key type of time-based one-time passwords.
pub const TOTP_KEY_TYPE: i64 = 0;
/// The MFA key status "active".
pub const ACTIVE_KEY_STATUS: i64 = 1;

/// How a client logs in, and logs in again when its refresh token no longer works.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Login {
    /// An application token from the emnify portal.
    ApplicationToken(Secret),
    /// A user's name and password, and the fingerprint of a device trusted earlier, if any.
    Password {
        /// The user name (an e-mail address).
        username: String,
        /// The password.
        password: Secret,
        /// A trusted device's fingerprint: with it, the login skips the one-time code.
        fingerprint: Option<Secret>,
    },
}

impl Login {
    /// A login with an application token.
    pub fn application_token(token: impl Into<Secret>) -> Self {
        Login::ApplicationToken(token.into())
    }

    /// A login with a user name and password.
    ///
    /// emnify removed logins with user credentials from its REST API on 2024-03-28 (its
    /// developer documentation); prefer [`Login::application_token`]. Kept for deployments that
    /// still accept them.
    pub fn password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Login::Password {
            username: username.into(),
            password: password.into(),
            fingerprint: None,
        }
    }

    fn body(&self) -> Authentication {
        match self {
            Login::ApplicationToken(token) => {
                ApplicationTokenAuthentication::new(token.clone()).into()
            }
            Login::Password {
                username,
                password,
                fingerprint,
            } => {
                let mut body = UserAuthentication::new(username.clone(), password.clone());
                body.fingerprint = fingerprint.clone();
                body.into()
            }
        }
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The authenticate operation failed (for example 401: wrong credentials or code).
    #[error(transparent)]
    Authenticate(#[from] AuthenticateError),
    /// Logging in again needs a one-time code, which an unattended refresh cannot give.
    #[error("logging in again needs a one-time code (MFA); log in interactively")]
    MfaRequired,
}

impl auth_core::ErrorMetadata for LoginError {
    fn response_meta(&self) -> Option<&auth_core::ResponseMeta> {
        match self {
            LoginError::Authenticate(error) => error.response_meta(),
            LoginError::MfaRequired => None,
        }
    }

    fn is_retryable(&self) -> bool {
        match self {
            LoginError::Authenticate(error) => error.is_retryable(),
            LoginError::MfaRequired => false,
        }
    }
}

/// What a login led to.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// Logged in: the client sends an auth token, and refreshes it before it expires.
    LoggedIn(Client),
    /// The user has MFA enabled and this device is not trusted: finish with a one-time code.
    MfaRequired(MfaPending),
}

/// A login waiting for the one-time code of the user's MFA key.
#[derive(Debug)]
pub struct MfaPending {
    client: Client,
    login: Login,
    mfa_token: Secret,
}

impl MfaPending {
    /// The token that the one-time code is sent back with.
    pub fn mfa_token(&self) -> &Secret {
        &self.mfa_token
    }

    /// Finishes the login with `code`. With a `fingerprint`, this device becomes trusted, and
    /// later logins (including the client's own re-logins) skip the code.
    pub async fn finish(
        self,
        code: &str,
        fingerprint: Option<Secret>,
    ) -> Result<Client, LoginError> {
        let mut body = MfaCodeAuthentication::new(self.mfa_token, code);
        body.fingerprint = fingerprint.clone();
        let answer = self
            .client
            .authentication()
            .authenticate(&body.into())
            .await?;
        let mut login = self.login;
        if let (
            Login::Password {
                fingerprint: trusted,
                ..
            },
            Some(fingerprint),
        ) = (&mut login, fingerprint)
        {
            *trusted = Some(fingerprint);
        }
        match answer {
            AuthenticationResponse::Tokens(tokens) => Ok(logged_in(&self.client, login, tokens)),
            _ => Err(LoginError::MfaRequired),
        }
    }
}

impl Client {
    /// Logs in. The client it gives back holds an auth token and keeps it valid: it refreshes
    /// the token with the refresh token shortly before it expires (or on a 401), and logs in
    /// again when that fails.
    ///
    /// ```no_run
    /// use emnify_auth::{Client, Credentials, Login, LoginOutcome};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::new(Credentials::None)?;
    /// let client = match client.login(Login::password("user@example.org", "password")).await? {
    ///     LoginOutcome::LoggedIn(client) => client,
    ///     LoginOutcome::MfaRequired(pending) => pending.finish("123456", None).await?,
    ///     _ => unreachable!(),
    /// };
    /// let devices = client.authentication().user_mfa_trusted_device_by_user_id_get(42).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(&self, login: Login) -> Result<LoginOutcome, LoginError> {
        let anonymous = self.with_credentials(Credentials::None);
        let answer = anonymous
            .authentication()
            .authenticate(&login.body())
            .await?;
        Ok(match answer {
            AuthenticationResponse::Tokens(tokens) => {
                LoginOutcome::LoggedIn(logged_in(&anonymous, login, tokens))
            }
            AuthenticationResponse::MfaRequired(required) => {
                LoginOutcome::MfaRequired(MfaPending {
                    client: anonymous,
                    login,
                    mfa_token: required.mfa_token,
                })
            }
        })
    }

    /// Creates an MFA key (a TOTP key) for the logged-in user; it stays pending until
    /// [`MfaEnrollment::activate`]. `password` is the user's password.
    pub async fn create_mfa_key(
        &self,
        password: impl Into<Secret>,
    ) -> Result<MfaEnrollment, PostMfaError> {
        let body = CreateMfaKeyRequest::new(IdRef::new(TOTP_KEY_TYPE), password);
        let key = self.authentication().post_mfa(&body).await?;
        Ok(MfaEnrollment { key })
    }
}

/// The client that sends `tokens.auth_token`, refreshing it through `login`.
fn logged_in(anonymous: &Client, login: Login, tokens: AuthenticationTokens) -> Client {
    let policy = anonymous.core().token_policy();
    let source = TokenSource::with_policy(
        Refresher {
            // Token requests have their own timeout (the policy's, applied by the token source), not
            // the one of the calls waiting for them.
            client: anonymous.with_timeouts(auth_core::Timeouts::none()),
            login,
            refresh_token: Mutex::new(tokens.refresh_token),
        },
        policy,
    );
    source.seed(Token::from_jwt(tokens.auth_token));
    anonymous.with_credentials(Credentials::BearerSource(source))
}

/// Trades the refresh token for a new auth token, or logs in again.
struct Refresher {
    client: Client,
    login: Login,
    refresh_token: Mutex<Option<Secret>>,
}

impl Refresher {
    async fn refresh(&self) -> Result<Option<AuthenticationTokens>, AuthenticateError> {
        let refresh_token = self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(refresh_token) = refresh_token else {
            return Ok(None);
        };
        let body = RefreshTokenAuthentication::new(refresh_token).into();
        match self.client.authentication().authenticate(&body).await {
            Ok(AuthenticationResponse::Tokens(tokens)) => Ok(Some(tokens)),
            // A refresh token that no longer works is no failure yet: log in again.
            Ok(_) | Err(AuthenticateError::Unauthorized(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn fetch_tokens(&self) -> Result<AuthenticationTokens, LoginError> {
        let tokens = match self.refresh().await? {
            Some(tokens) => tokens,
            None => match self
                .client
                .authentication()
                .authenticate(&self.login.body())
                .await?
            {
                AuthenticationResponse::Tokens(tokens) => tokens,
                _ => return Err(LoginError::MfaRequired),
            },
        };
        if let Some(refresh_token) = &tokens.refresh_token {
            *self
                .refresh_token
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(refresh_token.clone());
        }
        Ok(tokens)
    }
}

impl TokenProvider for Refresher {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let tokens = self.fetch_tokens().await?;
            Ok(Token::from_jwt(tokens.auth_token))
        })
    }
}

/// A new MFA key, pending activation. It holds the key's secret, which emnify shows only once.
#[derive(Debug, Clone)]
pub struct MfaEnrollment {
    /// The key as created.
    pub key: CreateMfaKeyResponse,
}

impl MfaEnrollment {
    /// The key's TOTP code for the current 30-second step.
    #[cfg(feature = "totp")]
    pub fn current_code(&self) -> Result<String, crate::totp::TotpError> {
        crate::totp::code_now(&self.key.secret_key)
    }

    /// Activates the key with a current `code` of it.
    pub async fn activate(&self, client: &Client, code: &str) -> Result<(), UserMfaByIdPatchError> {
        let body = ActivateMfaKeyRequest::new(IdRef::new(ACTIVE_KEY_STATUS), code);
        client
            .authentication()
            .user_mfa_by_id_patch(self.key.id, &body)
            .await
    }
}
