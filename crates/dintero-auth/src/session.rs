//! Dintero's ways of obtaining access tokens ([`ClientCredentials`], [`PasswordLogin`],
//! [`RefreshToken`], [`AccountUserToken`]), the login with an out-of-band second factor
//! ([`LoginOutcome`], [`MfaPending`], [`OobChallenge`]), and MFA recovery ([`RecoveryOutcome`]).

use auth_core::session::{self, GrantFuture, Grants, Refresh, RefreshThenLogin};
use auth_core::{
    ApiError, ApiErrorKind, Credentials, FetchFuture, Secret, Token, TokenError, TokenErrorKind,
    TokenProvider,
};

use crate::Client;
use crate::errors::{
    AidAuthMfaChallengePostError, AidAuthMfaRecoveryPostError, AidAuthsOauthTokenPostError,
};
use crate::models::{
    self, AccessToken, AuthChallenge, AuthToken, BindingMethod, ErrorResponse, MfaOobGrant,
    MfaRecovery, OobChannel, RecoveryChallengeResponse,
};

/// The error code with which Dintero asks for a second factor.
pub const MFA_REQUIRED: &str = "mfa_required";

/// What a login fails with: the error of the token operation.
pub type LoginError = ApiError<AidAuthsOauthTokenPostError>;

impl AccessToken {
    /// The access token as a [`Token`] that expires `expires_in` after its arrival (now), so that
    /// Dintero's clock does not matter; zero or negative means expired on arrival.
    pub fn to_token(&self) -> Token {
        Token::expiring_in_secs(self.access_token.clone(), self.expires_in)
    }

    /// As [`AccessToken::to_token`], with the answer's refresh token when it has one.
    fn to_token_with_refresh(&self) -> Token {
        let token = self.to_token();
        match &self.refresh_token {
            Some(next) => token.with_refresh_token(next.clone()),
            None => token,
        }
    }
}

/// Access tokens of the client-credentials grant for an audience: fetched with a client id and
/// secret over HTTP Basic, cached for their `expires_in`, fetched again shortly before expiry.
///
/// ```
/// use dintero_auth::{Client, ClientCredentials, Credentials, Method, Server};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // The hidden lines run this against the crate's local fake (`dintero_auth::testing`).
/// # let config = dintero_auth::testing::DinteroConfig { client_id: "client-id".into(), client_secret: "client-secret".into(), username: "user@example.org".into(), password: "password".into(), user_has_mfa: false, ..Default::default() };
/// # let (_fake, server) = dintero_auth::testing::DinteroFake::start(config).await?;
/// let client = Client::new(Credentials::None)?;
/// # let client = dintero_auth::testing::builder(&server).build()?;
/// let client = client.with_token_provider(ClientCredentials::new(
///     &client,
///     "T00000000",
///     "client-id",
///     "client-secret",
///     "https://api.dintero.com/v1/accounts/T00000000",
/// ));
/// // Every call now carries a valid access token: a checkout session, say.
/// let order = serde_json::json!({"order": {"amount": 100, "currency": "NOK"}, "profile_id": "default"});
/// let session = client.request_to(Server::Checkout, Method::POST, "/sessions-profile").json(&order).send().await?;
/// assert!(session.status().is_success());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ClientCredentials(FixedGrant);

impl ClientCredentials {
    /// Tokens for `audience` in `account_id`, from the client `client_id` with `client_secret`,
    /// through `client`'s connection pool.
    pub fn new(
        client: &Client,
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        audience: impl Into<String>,
    ) -> Self {
        Self(FixedGrant::new(
            client,
            Credentials::basic(client_id, client_secret),
            account_id.into(),
            models::ClientCredentialsGrant::new(audience).into(),
        ))
    }
}

impl TokenProvider for ClientCredentials {
    fn fetch(&self) -> FetchFuture<'_> {
        self.0.fetch()
    }
}

/// Access tokens for an account user from the user's own JWT (the `account_user_token` grant,
/// with that JWT as the bearer): an account user token, or an ID token with an `email` claim
/// when the user signed in with an identity provider of your own. Each new access token is
/// asked for with the same JWT, so it serves as long as that JWT is valid.
///
/// ```
/// use dintero_auth::{AccountUserToken, Client, Credentials};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // The hidden lines run this against the crate's local fake (`dintero_auth::testing`).
/// # let config = dintero_auth::testing::DinteroConfig { client_id: "client-id".into(), client_secret: "client-secret".into(), username: "user@example.org".into(), password: "password".into(), user_has_mfa: false, ..Default::default() };
/// # let (_fake, server) = dintero_auth::testing::DinteroFake::start(config).await?;
/// # let base = dintero_auth::testing::builder(&server).build()?;
/// # let api = base.with_token_provider(dintero_auth::ClientCredentials::new(&base, "T00000000", "client-id", "client-secret", "aud"));
/// # let grant = dintero_auth::models::PasswordGrant::new("user@example.org", "password", "aud");
/// # let dintero_auth::LoginOutcome::LoggedIn(user) = api.login("T00000000", grant).await? else { unreachable!() };
/// # let user_jwt = user.bearer_token().await?;
/// // `user_jwt`: the account user's own JWT.
/// let client = Client::new(Credentials::None)?;
/// # let client = base;
/// let client = client.with_token_provider(AccountUserToken::new(&client, "T00000000", user_jwt));
/// println!("{:?}", client.bearer_token().await?); // a new access token for the user
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AccountUserToken(FixedGrant);

impl AccountUserToken {
    /// Tokens of `account_id` for the account user whose JWT is `user_jwt`, through `client`'s
    /// connection pool.
    pub fn new(
        client: &Client,
        account_id: impl Into<String>,
        user_jwt: impl Into<Secret>,
    ) -> Self {
        Self(FixedGrant::new(
            client,
            Credentials::bearer(user_jwt),
            account_id.into(),
            models::AccountUserTokenGrant::new().into(),
        ))
    }
}

impl TokenProvider for AccountUserToken {
    fn fetch(&self) -> FetchFuture<'_> {
        self.0.fetch()
    }
}

/// The same grant for every token, sent with the same credentials (what [`ClientCredentials`]
/// and [`AccountUserToken`] are).
#[derive(Debug)]
struct FixedGrant {
    client: Client,
    account_id: String,
    grant: AuthToken,
}

impl FixedGrant {
    fn new(
        client: &Client,
        credentials: Credentials,
        account_id: String,
        grant: AuthToken,
    ) -> Self {
        Self {
            client: Client::from(session::token_client(client.core(), credentials)),
            account_id,
            grant,
        }
    }

    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let access = request_token(&self.client, &self.account_id, &self.grant).await?;
            Ok(access.to_token())
        })
    }
}

/// Access tokens from a refresh token (of a password or authorization-code grant); each
/// answer's refresh token, when it has one, is used for the next.
#[derive(Debug)]
pub struct RefreshToken(RefreshThenLogin<RefreshGrant>);

impl RefreshToken {
    /// Trades `refresh_token` for tokens of `account_id`, with `client`'s credentials and pool.
    pub fn new(
        client: &Client,
        account_id: impl Into<String>,
        refresh_token: impl Into<Secret>,
    ) -> Self {
        Self(RefreshThenLogin::from_refresh_token(
            RefreshGrant::new(client, account_id.into()),
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

/// Access tokens from a user's name and password (the `password` grant, sent with the client's
/// own credentials): each new one from the refresh token of the last when Dintero gave one, from
/// a new login otherwise.
///
/// Used unattended (with `Client::with_token_provider`), a login that needs a second factor
/// fails with [`TokenErrorKind::InteractionRequired`]; [`PasswordLogin::login`] asks for it.
#[derive(Debug)]
pub struct PasswordLogin {
    client: Client,
    session: RefreshThenLogin<UserGrants>,
}

impl PasswordLogin {
    /// Logs in to `account_id` with the `password` grant, with `client`'s credentials and pool.
    pub fn new(
        client: &Client,
        account_id: impl Into<String>,
        grant: models::PasswordGrant,
    ) -> Self {
        let grants = UserGrants {
            refresh: RefreshGrant::new(client, account_id.into()),
            grant,
        };
        Self {
            client: client.clone(),
            session: RefreshThenLogin::new(grants),
        }
    }

    fn account_id(&self) -> &str {
        &self.session.grants().refresh.account_id
    }

    /// Logs in now: a user with MFA answers [`LoginOutcome::MfaRequired`]; request a challenge,
    /// then complete it. The client it gives back keeps its access token valid with this login.
    pub async fn login(self) -> Result<LoginOutcome, LoginError> {
        let grant = self.session.grants().grant.clone().into();
        // Asked for by the caller: bounded by the client's own timeouts.
        match request_token(&self.client, self.account_id(), &grant).await {
            Ok(access) => Ok(LoginOutcome::LoggedIn(self.logged_in(&access))),
            Err(error) => match mfa_token(&error) {
                Some(mfa_token) => Ok(LoginOutcome::MfaRequired(MfaPending {
                    client: self.client.clone(),
                    account_id: self.account_id().to_owned(),
                    mfa_token,
                    grant: Some(self.session.grants().grant.clone()),
                })),
                None => Err(error),
            },
        }
    }

    /// The client that sends `access`, and gets the next tokens from this login.
    fn logged_in(self, access: &AccessToken) -> Client {
        let core = self.client.core().clone();
        Client::from(
            self.session
                .into_client(&core, access.to_token_with_refresh()),
        )
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

/// Dintero's refresh grant for an account, sent with the token client: the client's
/// credentials, without its own timeouts (the token source bounds token requests).
#[derive(Debug)]
struct RefreshGrant {
    client: Client,
    account_id: String,
}

impl RefreshGrant {
    fn new(client: &Client, account_id: String) -> Self {
        let credentials = client.core().credentials().clone();
        Self {
            client: Client::from(session::token_client(client.core(), credentials)),
            account_id,
        }
    }
}

impl Grants for RefreshGrant {
    fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh> {
        Box::pin(async move {
            let grant = models::RefreshTokenGrant::new(refresh_token).into();
            match request_token(&self.client, &self.account_id, &grant).await {
                Ok(access) => Ok(Refresh::Token(access.to_token_with_refresh())),
                // A refresh token Dintero refuses (a documented error) may be mended by a login.
                Err(error) if error.documented().is_some() => Ok(Refresh::Refused(error.into())),
                Err(error) => Err(error.into()),
            }
        })
    }
}

/// A user's grants: the refresh grant, and the `password` grant.
#[derive(Debug)]
struct UserGrants {
    refresh: RefreshGrant,
    grant: models::PasswordGrant,
}

impl Grants for UserGrants {
    fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh> {
        self.refresh.refresh(refresh_token)
    }

    fn login(&self) -> Option<FetchFuture<'_>> {
        Some(Box::pin(async move {
            let grant = self.grant.clone().into();
            let refresh = &self.refresh;
            match request_token(&refresh.client, &refresh.account_id, &grant).await {
                Ok(access) => Ok(access.to_token_with_refresh()),
                Err(error) if mfa_token(&error).is_some() => Err(TokenError::new(
                    TokenErrorKind::InteractionRequired,
                    "Dintero asks for a second factor: log in with `PasswordLogin::login`",
                )),
                Err(error) => Err(error.into()),
            }
        }))
    }
}

/// What a login led to: [`LoginOutcome::LoggedIn`] with a client that sends an access token
/// and keeps it valid, or [`LoginOutcome::MfaRequired`] when the user has MFA enabled: request a
/// challenge ([`MfaPending::challenge`]), then complete it with the code the user received
/// ([`OobChallenge::complete`]).
pub type LoginOutcome = session::LoginOutcome<Client, MfaPending>;

/// What an MFA recovery request led to.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecoveryOutcome {
    /// A recovery challenge was sent.
    Challenge(RecoveryChallengeResponse),
    /// The recovery goes on with a second factor: request a challenge with this.
    MfaRequired(MfaPending),
}

/// An `mfa_required` answer: its token leads to an out-of-band challenge, which
/// [`MfaPending::challenge`] requests.
#[derive(Debug, Clone)]
pub struct MfaPending {
    client: Client,
    account_id: String,
    mfa_token: Secret,
    /// The password grant of the login this step belongs to (none for a recovery).
    grant: Option<models::PasswordGrant>,
}

impl MfaPending {
    /// The token of the `mfa_required` error.
    pub fn mfa_token(&self) -> &Secret {
        &self.mfa_token
    }

    /// Sends the user a code over `channel` (again, after a wrong code or a lost message).
    pub async fn challenge(
        &self,
        channel: OobChannel,
    ) -> Result<OobChallenge, ApiError<AidAuthMfaChallengePostError>> {
        let body = AuthChallenge::new(self.mfa_token.clone()).with_oob_channel(channel);
        let answer = self
            .client
            .challenge()
            .aid_auth_mfa_challenge_post(&self.account_id, &body)
            .await?;
        Ok(OobChallenge {
            oob_code: answer.oob_code.unwrap_or_default(),
            binding_method: answer.binding_method,
            pending: self.clone(),
        })
    }
}

/// A challenge that was sent; [`OobChallenge::complete`] finishes the login with the code the
/// user received.
#[derive(Debug)]
pub struct OobChallenge {
    pending: MfaPending,
    oob_code: Secret,
    binding_method: Option<BindingMethod>,
}

impl OobChallenge {
    /// How the user's code is bound to the login (`prompt`: ask the user for it).
    pub fn binding_method(&self) -> Option<&BindingMethod> {
        self.binding_method.as_ref()
    }

    /// Completes the `mfa_oob` grant with the `binding_code` the user received. The client it
    /// gives back sends the access token; after a login it keeps it valid with that login, after
    /// a recovery with the refresh token when Dintero gave one.
    pub async fn complete(self, binding_code: impl Into<Secret>) -> Result<Client, LoginError> {
        let pending = self.pending;
        let grant = MfaOobGrant::new(self.oob_code, binding_code, pending.mfa_token).into();
        let access = request_token(&pending.client, &pending.account_id, &grant).await?;
        Ok(match (pending.grant, &access.refresh_token) {
            (Some(grant), _) => {
                PasswordLogin::new(&pending.client, pending.account_id, grant).logged_in(&access)
            }
            (None, Some(refresh_token)) => {
                let provider =
                    RefreshToken::new(&pending.client, pending.account_id, refresh_token.clone());
                let first = access.to_token_with_refresh();
                Client::from(session::logged_in(pending.client.core(), provider, first))
            }
            (None, None) => pending.client.with_token(access.access_token),
        })
    }
}

impl Client {
    /// Logs in to `account_id` with the `password` grant ([`PasswordLogin::login`]): a user
    /// with MFA answers [`LoginOutcome::MfaRequired`].
    ///
    /// Dintero takes the grant from a bearer that may use the token endpoint, the API client's
    /// own token: call it on a client with a [`ClientCredentials`] provider (on a client with
    /// only `Credentials::basic`, the token endpoint answers 401).
    ///
    /// ```
    /// use dintero_auth::{Client, ClientCredentials, Credentials, LoginOutcome};
    /// use dintero_auth::models::{OobChannel, PasswordGrant};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # // The hidden lines run this against the crate's local fake (`dintero_auth::testing`).
    /// # let config = dintero_auth::testing::DinteroConfig { client_id: "client-id".into(), client_secret: "client-secret".into(), username: "user@example.org".into(), password: "password".into(), user_has_mfa: false, ..Default::default() };
    /// # let (_fake, server) = dintero_auth::testing::DinteroFake::start(config).await?;
    /// let base = Client::new(Credentials::None)?;
    /// # let base = dintero_auth::testing::builder(&server).build()?;
    /// let client = base.with_token_provider(ClientCredentials::new(
    ///     &base,
    ///     "T00000000",
    ///     "client-id",
    ///     "client-secret",
    ///     "https://aud",
    /// ));
    /// let grant = PasswordGrant::new("user@example.org", "password", "https://aud");
    /// let client = match client.login("T00000000", grant).await? {
    ///     LoginOutcome::LoggedIn(client) => client,
    ///     LoginOutcome::MfaRequired(pending) => {
    ///         let challenge = pending.challenge(OobChannel::Sms).await?;
    ///         challenge.complete("123456").await?
    ///     }
    ///     _ => unreachable!(),
    /// };
    /// println!("{:?}", client.bearer_token().await?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(
        &self,
        account_id: impl Into<String>,
        grant: models::PasswordGrant,
    ) -> Result<LoginOutcome, LoginError> {
        PasswordLogin::new(self, account_id, grant).login().await
    }

    /// Starts an MFA recovery. Dintero answers a recovery that goes on with a 403
    /// `mfa_required`; that is [`RecoveryOutcome::MfaRequired`] here, not an error.
    pub async fn recover_mfa(
        &self,
        account_id: &str,
        body: &MfaRecovery,
    ) -> Result<RecoveryOutcome, ApiError<AidAuthMfaRecoveryPostError>> {
        match self
            .challenge()
            .aid_auth_mfa_recovery_post(account_id, body)
            .await
        {
            Ok(challenge) => Ok(RecoveryOutcome::Challenge(challenge)),
            Err(error) => match mfa_token(&error) {
                Some(mfa_token) => Ok(RecoveryOutcome::MfaRequired(MfaPending {
                    client: self.clone(),
                    account_id: account_id.to_owned(),
                    mfa_token,
                    grant: None,
                })),
                None => Err(error),
            },
        }
    }
}

/// Operations whose 403 is Dintero's error body, where `mfa_required` comes.
trait Forbidden {
    fn forbidden(&self) -> Option<&ErrorResponse>;
}

impl Forbidden for AidAuthsOauthTokenPostError {
    fn forbidden(&self) -> Option<&ErrorResponse> {
        match self {
            AidAuthsOauthTokenPostError::Forbidden(body) => body.as_ref(),
            _ => None,
        }
    }
}

impl Forbidden for AidAuthMfaRecoveryPostError {
    fn forbidden(&self) -> Option<&ErrorResponse> {
        match self {
            AidAuthMfaRecoveryPostError::Forbidden(body) => body.as_ref(),
            _ => None,
        }
    }
}

/// The token of an `mfa_required` 403: inside `error` as documented, or at the top level,
/// where some answers put it.
fn mfa_token<E: Forbidden>(error: &ApiError<E>) -> Option<Secret> {
    let ApiErrorKind::Documented { error, .. } = error.kind() else {
        return None;
    };
    let body = error.forbidden()?;
    if body.error.code.as_deref() != Some(MFA_REQUIRED) {
        return None;
    }
    body.error
        .mfa_token
        .clone()
        .or_else(|| body.mfa_token.clone())
}

/// The token operation for `account_id` with `grant`.
async fn request_token(
    client: &Client,
    account_id: &str,
    grant: &AuthToken,
) -> Result<AccessToken, LoginError> {
    client
        .authentication()
        .aid_auths_oauth_token_post(account_id, grant)
        .await
}
