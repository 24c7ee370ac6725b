//! Access tokens that stay valid, and the MFA out-of-band and recovery flows.

use auth_core::{Credentials, FetchFuture, Secret, Token, TokenProvider, TokenSource};

use crate::Client;
use crate::errors::{
    AidAuthMfaChallengePostError, AidAuthMfaRecoveryPostError, AidAuthsOauthTokenPostError,
};
use crate::models::{
    AccessToken, AuthChallenge, AuthToken, BindingMethod, ChallengeType, ClientCredentials,
    ErrorResponse, MfaOob, MfaRecovery, OobChannel, RecoveryChallengeResponse,
};

/// The error code with which Dintero asks for a second factor.
pub const MFA_REQUIRED: &str = "mfa_required";

/// What a token request led to.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenOutcome {
    /// The access token.
    Token(AccessToken),
    /// The user has MFA enabled: request a challenge, then complete it.
    MfaRequired(MfaRequired),
}

/// What an MFA recovery request led to.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecoveryOutcome {
    /// A recovery challenge was sent.
    Challenge(RecoveryChallengeResponse),
    /// The recovery goes on: request the next challenge with this.
    MfaRequired(MfaRequired),
}

/// An `mfa_required` answer: its token leads to an out-of-band challenge.
#[derive(Debug, Clone)]
pub struct MfaRequired {
    client: Client,
    account_id: String,
    mfa_token: Secret,
}

impl MfaRequired {
    /// The token of the `mfa_required` error.
    pub fn mfa_token(&self) -> &Secret {
        &self.mfa_token
    }

    /// Sends the user a code over `channel`.
    pub async fn challenge(
        &self,
        channel: OobChannel,
    ) -> Result<OobChallenge, AidAuthMfaChallengePostError> {
        let body = AuthChallenge::new(ChallengeType::Oob, self.mfa_token.clone())
            .with_oob_channel(channel);
        let answer = self
            .client
            .challenge()
            .aid_auth_mfa_challenge_post(&self.account_id, &body)
            .await?;
        Ok(OobChallenge {
            required: self.clone(),
            oob_code: answer.oob_code.unwrap_or_default(),
            binding_method: answer.binding_method,
        })
    }
}

/// A challenge that was sent; complete it with the code the user received.
#[derive(Debug)]
pub struct OobChallenge {
    required: MfaRequired,
    oob_code: Secret,
    binding_method: Option<BindingMethod>,
}

impl OobChallenge {
    /// How the user's code is bound to the login (`prompt`: ask the user for it).
    pub fn binding_method(&self) -> Option<&BindingMethod> {
        self.binding_method.as_ref()
    }

    /// Completes the `mfa_oob` grant with the `binding_code` the user received.
    pub async fn complete(
        self,
        binding_code: impl Into<Secret>,
    ) -> Result<AccessToken, AidAuthsOauthTokenPostError> {
        let grant = MfaOob::new(self.oob_code, binding_code, self.required.mfa_token);
        self.required
            .client
            .authenticate()
            .aid_auths_oauth_token_post(&self.required.account_id, &grant.into())
            .await
    }
}

impl Client {
    /// The [`MfaRequired`] an error body means, if it is an `mfa_required` error with a token.
    fn mfa_required(&self, account_id: &str, body: Option<&ErrorResponse>) -> Option<MfaRequired> {
        let body = body?;
        if body.error.code.as_deref() != Some(MFA_REQUIRED) {
            return None;
        }
        Some(MfaRequired {
            client: self.clone(),
            account_id: account_id.to_owned(),
            // Inside `error` as documented, or at the top level, where some answers put it.
            mfa_token: body
                .error
                .mfa_token
                .clone()
                .or_else(|| body.mfa_token.clone())?,
        })
    }

    /// Requests an access token for `account_id`; an `mfa_required` answer becomes
    /// [`TokenOutcome::MfaRequired`] instead of an error.
    pub async fn request_token(
        &self,
        account_id: &str,
        grant: &AuthToken,
    ) -> Result<TokenOutcome, AidAuthsOauthTokenPostError> {
        match self
            .authenticate()
            .aid_auths_oauth_token_post(account_id, grant)
            .await
        {
            Ok(token) => Ok(TokenOutcome::Token(token)),
            Err(AidAuthsOauthTokenPostError::Forbidden(error)) => {
                match self.mfa_required(account_id, error.body.as_ref()) {
                    Some(required) => Ok(TokenOutcome::MfaRequired(required)),
                    None => Err(AidAuthsOauthTokenPostError::Forbidden(error)),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Starts an MFA recovery. Dintero answers a recovery that goes on with a 403
    /// `mfa_required`; that is [`RecoveryOutcome::MfaRequired`] here, not an error.
    pub async fn recover_mfa(
        &self,
        account_id: &str,
        body: &MfaRecovery,
    ) -> Result<RecoveryOutcome, AidAuthMfaRecoveryPostError> {
        match self
            .challenge()
            .aid_auth_mfa_recovery_post(account_id, body)
            .await
        {
            Ok(challenge) => Ok(RecoveryOutcome::Challenge(challenge)),
            Err(AidAuthMfaRecoveryPostError::Forbidden(error)) => {
                match self.mfa_required(account_id, error.body.as_ref()) {
                    Some(required) => Ok(RecoveryOutcome::MfaRequired(required)),
                    None => Err(AidAuthMfaRecoveryPostError::Forbidden(error)),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// A client (sharing this one's connection pool) whose bearer token is an access token of
    /// the client-credentials grant for `audience`: fetched with `client_id`/`client_secret`
    /// over HTTP Basic, cached for its `expires_in`, and fetched again shortly before it expires.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use dintero_auth::{Client, Credentials};
    /// use dintero_auth::models::{AuthChallenge, ChallengeType};
    ///
    /// let client = Client::new(Credentials::None)?
    ///     .with_client_credentials("T00000000", "client-id", "client-secret", "https://aud");
    /// // every call now carries a valid access token
    /// let body = AuthChallenge::new(ChallengeType::Oob, "mfa-token");
    /// client.challenge().aid_auth_mfa_challenge_post("T00000000", &body).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_client_credentials(
        &self,
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        audience: impl Into<String>,
    ) -> Client {
        let policy = self.core().token_policy();
        // Token requests have their own timeout (the policy's, applied by the token source), not
        // the one of the calls waiting for them.
        let basic = self
            .with_credentials(Credentials::basic(client_id, client_secret))
            .with_timeouts(auth_core::Timeouts::none());
        let source = TokenSource::with_policy(
            ClientCredentialsProvider {
                client: basic,
                account_id: account_id.into(),
                grant: ClientCredentials::new(audience).into(),
            },
            policy,
        );
        self.with_credentials(Credentials::BearerSource(source))
    }
}

/// Turns an access token into a [`Token`] that expires `expires_in` after its arrival (now), so
/// that Dintero's clock does not matter; zero or negative means expired on arrival.
pub fn token_of(access: &AccessToken) -> Token {
    Token::expiring_in_secs(access.access_token.clone(), access.expires_in)
}

struct ClientCredentialsProvider {
    client: Client,
    account_id: String,
    grant: AuthToken,
}

impl TokenProvider for ClientCredentialsProvider {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let access = self
                .client
                .authenticate()
                .aid_auths_oauth_token_post(&self.account_id, &self.grant)
                .await?;
            Ok(token_of(&access))
        })
    }
}
