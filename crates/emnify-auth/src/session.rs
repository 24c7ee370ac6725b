//! emnify's ways of obtaining auth tokens ([`ApplicationToken`], [`PasswordLogin`],
//! [`RefreshToken`]), the login with a one-time code ([`LoginOutcome`], [`MfaPending`]), and MFA
//! key enrolment ([`MfaEnrollment`]).

use auth_core::session::{self, GrantFuture, Grants, Refresh, RefreshThenLogin};
use auth_core::{
    ApiError, Credentials, FetchFuture, Secret, Token, TokenError, TokenErrorKind, TokenProvider,
};

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

/// What a login fails with: the error of `/api/v1/authenticate`.
pub type LoginError = ApiError<AuthenticateError>;

/// Auth tokens from an application token (from the emnify portal): the way emnify recommends
/// for services. Application tokens get no refresh token, so each new auth token is a new
/// authentication.
///
/// ```
/// use emnify_auth::{ApplicationToken, Client, Credentials};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // The hidden lines run this against the crate's local fake (`emnify_auth::testing`).
/// # let config = emnify_auth::testing::EmnifyConfig { password: "password".into(), application_token: "application-token".into(), ..Default::default() };
/// # let (_fake, server) = emnify_auth::testing::EmnifyFake::start(config).await?;
/// let client = Client::new(Credentials::None)?;
/// # let client = emnify_auth::testing::builder(&server).build()?;
/// let client = client.with_token_provider(ApplicationToken::new(&client, "application-token"));
/// // The first call fetches an auth token; later calls reuse it until shortly before it expires.
/// let kinds = client.authentication().user_mfa_type_get().await?;
/// println!("{} MFA key types", kinds.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ApplicationToken {
    client: Client,
    token: Secret,
}

impl ApplicationToken {
    /// Authenticates with `token`, through `client`'s connection pool.
    pub fn new(client: &Client, token: impl Into<Secret>) -> Self {
        Self {
            client: Client::from(session::token_client(client.core(), Credentials::None)),
            token: token.into(),
        }
    }
}

impl TokenProvider for ApplicationToken {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let body = ApplicationTokenAuthentication::new(self.token.clone()).into();
            let tokens = tokens_of(authenticate(&self.client, &body).await?)?;
            Ok(Token::from_jwt(tokens.auth_token))
        })
    }
}

/// Auth tokens from a refresh token (of an earlier password login): each answer's refresh
/// token, when it has one, is used for the next.
#[derive(Debug)]
pub struct RefreshToken(RefreshThenLogin<RefreshGrant>);

impl RefreshToken {
    /// Trades `refresh_token`, through `client`'s connection pool.
    pub fn new(client: &Client, refresh_token: impl Into<Secret>) -> Self {
        Self(RefreshThenLogin::from_refresh_token(
            RefreshGrant::new(client),
            refresh_token,
        ))
    }
}

impl TokenProvider for RefreshToken {
    fn fetch(&self) -> FetchFuture<'_> {
        self.0.fetch()
    }

    fn resume(&self, refresh_token: Secret) {
        self.0.resume(refresh_token);
    }
}

/// Auth tokens from a user's name and password: each new one from the refresh token of the
/// last, and from a new login when that no longer works.
///
/// emnify removed logins with user credentials from its REST API on 2024-03-28 (its developer
/// documentation): prefer [`ApplicationToken`]. Kept for deployments that still accept them.
/// Used unattended (with `Client::with_token_provider`), a login that needs a one-time code
/// fails with [`TokenErrorKind::InteractionRequired`]; [`PasswordLogin::login`] asks for it.
#[derive(Debug)]
pub struct PasswordLogin {
    client: Client,
    session: RefreshThenLogin<UserGrants>,
}

impl PasswordLogin {
    /// Logs in as `username` with `password`, through `client`'s connection pool.
    pub fn new(client: &Client, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        let grants = UserGrants {
            refresh: RefreshGrant::new(client),
            username: username.into(),
            password: password.into(),
            fingerprint: None,
        };
        Self {
            client: client.clone(),
            session: RefreshThenLogin::new(grants),
        }
    }

    /// Sends the fingerprint of a device trusted earlier ([`MfaPending::trust_device`]): logins
    /// with it skip the one-time code.
    #[must_use]
    pub fn trust_device(mut self, fingerprint: impl Into<Secret>) -> Self {
        self.session.grants_mut().fingerprint = Some(fingerprint.into());
        self
    }

    /// Logs in now: a user with MFA whose device is not trusted answers
    /// [`LoginOutcome::MfaRequired`], to finish with [`MfaPending::complete`]. The client it
    /// gives back keeps its auth token valid with this login.
    pub async fn login(self) -> Result<LoginOutcome, LoginError> {
        let body = self.session.grants().body();
        // Asked for by the caller: bounded by the client's own timeouts.
        let answer = anonymous(&self.client)
            .authentication()
            .authenticate(&body)
            .await?;
        Ok(match answer {
            AuthenticationResponse::Tokens(tokens) => {
                LoginOutcome::LoggedIn(self.logged_in(tokens))
            }
            AuthenticationResponse::MfaRequired(required) => {
                LoginOutcome::MfaRequired(MfaPending {
                    login: self,
                    mfa_token: required.mfa_token,
                })
            }
        })
    }

    /// The client that sends `tokens.auth_token`, and gets the next ones from this login.
    fn logged_in(self, tokens: AuthenticationTokens) -> Client {
        let core = self.client.core().clone();
        Client::from(self.session.into_client(&core, token_of(tokens)))
    }
}

impl TokenProvider for PasswordLogin {
    fn fetch(&self) -> FetchFuture<'_> {
        self.session.fetch()
    }

    fn resume(&self, refresh_token: Secret) {
        self.session.resume(refresh_token);
    }
}

/// emnify's refresh grant, sent with the token client: without credentials and without the
/// client's own timeouts (the token source bounds token requests).
#[derive(Debug)]
struct RefreshGrant {
    client: Client,
}

impl RefreshGrant {
    fn new(client: &Client) -> Self {
        Self {
            client: Client::from(session::token_client(client.core(), Credentials::None)),
        }
    }
}

impl Grants for RefreshGrant {
    fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh> {
        Box::pin(async move {
            let body = RefreshTokenAuthentication::new(refresh_token).into();
            Ok(match authenticate(&self.client, &body).await {
                Ok(answer) => match tokens_of(answer) {
                    Ok(tokens) => Refresh::Token(token_of(tokens)),
                    Err(error) => Refresh::Refused(error),
                },
                Err(error)
                    if matches!(error.documented(), Some(AuthenticateError::Unauthorized)) =>
                {
                    Refresh::Refused(error.into())
                }
                Err(error) => return Err(error.into()),
            })
        })
    }
}

/// A user's grants: the refresh grant, and a login with the user's name, password and trusted
/// device.
#[derive(Debug)]
struct UserGrants {
    refresh: RefreshGrant,
    username: String,
    password: Secret,
    fingerprint: Option<Secret>,
}

impl UserGrants {
    fn body(&self) -> Authentication {
        let mut body = UserAuthentication::new(self.username.clone(), self.password.clone());
        body.fingerprint = self.fingerprint.clone();
        body.into()
    }
}

impl Grants for UserGrants {
    fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh> {
        self.refresh.refresh(refresh_token)
    }

    fn login(&self) -> Option<FetchFuture<'_>> {
        Some(Box::pin(async move {
            let answer = authenticate(&self.refresh.client, &self.body()).await?;
            Ok(token_of(tokens_of(answer)?))
        }))
    }
}

/// What a login led to: [`LoginOutcome::LoggedIn`] with a client that sends an auth token and
/// keeps it valid, or [`LoginOutcome::MfaRequired`] when the user has MFA enabled and this device
/// is not trusted: finish with [`MfaPending::complete`] and a one-time code.
pub type LoginOutcome = session::LoginOutcome<Client, MfaPending>;

/// A login waiting for the one-time code of the user's MFA key: [`MfaPending::complete`] gives
/// the logged-in client ([`MfaPending::trust_device`] first skips the code next time).
#[derive(Debug)]
pub struct MfaPending {
    login: PasswordLogin,
    mfa_token: Secret,
}

impl MfaPending {
    /// The token that the one-time code is sent back with.
    pub fn mfa_token(&self) -> &Secret {
        &self.mfa_token
    }

    /// Makes this device trusted under `fingerprint` (a stable identifier of the device) when the
    /// login completes: later logins with it, the client's own included, skip the code.
    #[must_use]
    pub fn trust_device(mut self, fingerprint: impl Into<Secret>) -> Self {
        self.login = self.login.trust_device(fingerprint);
        self
    }

    /// Completes the login with the current `code` of the user's MFA key. A wrong code is the
    /// documented 401, [`AuthenticateError::Unauthorized`].
    pub async fn complete(self, code: impl Into<Secret>) -> Result<Client, LoginError> {
        let mut body = MfaCodeAuthentication::new(self.mfa_token, code);
        body.fingerprint = self.login.session.grants().fingerprint.clone();
        let answer = anonymous(&self.login.client)
            .authentication()
            .authenticate(&body.into())
            .await?;
        match answer {
            AuthenticationResponse::Tokens(tokens) => Ok(self.login.logged_in(tokens)),
            // emnify answers a code with tokens or a 401; asking for a code again leaves the
            // flow nowhere to go.
            AuthenticationResponse::MfaRequired(_) => Err(ApiError::new(
                "emnify",
                "authenticate",
                auth_core::Error::UnexpectedAnswer("a one-time code was asked for again").into(),
            )),
        }
    }
}

impl Client {
    /// Logs in as `username` with `password` ([`PasswordLogin::login`]): a user with MFA whose
    /// device is not trusted answers [`LoginOutcome::MfaRequired`].
    ///
    /// ```
    /// use emnify_auth::{Client, Credentials, LoginOutcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // The hidden lines run this against the crate's local fake (`emnify_auth::testing`).
    /// # let config = emnify_auth::testing::EmnifyConfig { password: "password".into(), application_token: "application-token".into(), ..Default::default() };
    /// # let (_fake, server) = emnify_auth::testing::EmnifyFake::start(config).await?;
    /// let client = Client::new(Credentials::None)?;
    /// # let client = emnify_auth::testing::builder(&server).build()?;
    /// let client = match client.login("user@example.org", "password").await? {
    ///     LoginOutcome::LoggedIn(client) => client,
    ///     LoginOutcome::MfaRequired(pending) => pending.complete("123456").await?,
    ///     _ => unreachable!(),
    /// };
    /// let devices = client.authentication().user_mfa_trusted_device_by_user_id_get(1).await?;
    /// println!("{} trusted devices", devices.len());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(
        &self,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Result<LoginOutcome, LoginError> {
        PasswordLogin::new(self, username, password).login().await
    }

    /// Creates an MFA key (a TOTP key) for the logged-in user; it stays pending until
    /// [`MfaEnrollment::activate`]. `password` is the user's password.
    ///
    /// A user has one active MFA key at a time: for a user whose MFA is on already, emnify
    /// answers 409, [`PostMfaError::Conflict`]; delete the active key first
    /// ([`user_mfa_by_user_id_and_key_id_delete`](crate::operations::AuthenticationApi::user_mfa_by_user_id_and_key_id_delete)) to enrol a new one. A wrong password is the 422,
    /// [`PostMfaError::UnprocessableEntity`].
    pub async fn create_mfa_key(
        &self,
        password: impl Into<Secret>,
    ) -> Result<MfaEnrollment, ApiError<PostMfaError>> {
        let body = CreateMfaKeyRequest::new(IdRef::new(TOTP_KEY_TYPE), password);
        let key = self.authentication().post_mfa(&body).await?;
        Ok(MfaEnrollment { key })
    }
}

/// `client` without credentials, as a login is sent.
fn anonymous(client: &Client) -> Client {
    client.with_credentials(Credentials::None)
}

/// A token source's authentication with `body`, through the token client `client`.
async fn authenticate(
    client: &Client,
    body: &Authentication,
) -> Result<AuthenticationResponse, LoginError> {
    client.authentication().authenticate(body).await
}

/// The auth token of `tokens`, with their refresh token when they have one.
fn token_of(tokens: AuthenticationTokens) -> Token {
    let token = Token::from_jwt(tokens.auth_token);
    match tokens.refresh_token {
        Some(next) => token.with_refresh_token(next),
        None => token,
    }
}

/// The tokens of an answer; an answer asking for a one-time code cannot be given unattended.
fn tokens_of(answer: AuthenticationResponse) -> Result<AuthenticationTokens, TokenError> {
    match answer {
        AuthenticationResponse::Tokens(tokens) => Ok(tokens),
        AuthenticationResponse::MfaRequired(_) => Err(TokenError::new(
            TokenErrorKind::InteractionRequired,
            "emnify asks for a one-time code (MFA): log in with `PasswordLogin::login`",
        )),
    }
}

/// A new MFA key, pending activation (from [`Client::create_mfa_key`]): show its secret to the
/// user's authenticator app, then [`MfaEnrollment::activate`] it with a code. It holds the key's
/// secret, which emnify shows only once.
#[derive(Debug, Clone)]
pub struct MfaEnrollment {
    /// The key as created.
    pub key: CreateMfaKeyResponse,
}

impl MfaEnrollment {
    /// The key's TOTP code for the current 30-second step.
    ///
    /// Needs the feature `totp`.
    #[cfg(feature = "totp")]
    pub fn current_code(&self) -> Result<String, crate::totp::TotpError> {
        crate::totp::code_now(&self.key.secret_key)
    }

    /// Activates the key with a current `code` of it.
    pub async fn activate(
        &self,
        client: &Client,
        code: &str,
    ) -> Result<(), ApiError<UserMfaByIdPatchError>> {
        let body = ActivateMfaKeyRequest::new(IdRef::new(ACTIVE_KEY_STATUS), code);
        client
            .authentication()
            .user_mfa_by_id_patch(self.key.id, &body)
            .await
    }
}
