//! The credentials a client sends, and how each fits the security schemes an operation accepts.

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::Error;
use crate::request::Security;
use crate::secret::Secret;
use crate::token::Token;
use crate::token_source::TokenSource;

/// The credentials a client sends to operations that need them.
///
/// Which header they go in is the operation's business: its spec names the schemes it accepts, and
/// the client sends the credentials that fit one of them. `Debug` never prints a secret.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials: only operations that need none can be called.
    #[default]
    None,
    /// A bearer token, sent as `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// An API key, sent in the header the operation's spec names.
    ApiKey(Secret),
    /// A bearer token from a [`TokenSource`], refreshed before it expires; on a 401 the request
    /// is sent once more with a fresh token.
    BearerSource(TokenSource),
    /// An API key from a [`TokenSource`] (Plex's `X-Plex-Token` from a JWT device login), sent
    /// in the header the operation's spec names, refreshed and replayed as `BearerSource` is.
    ApiKeySource(TokenSource),
    /// HTTP Basic credentials.
    Basic {
        /// The user name (for OAuth clients, the client id).
        username: String,
        /// The password (for OAuth clients, the client secret).
        password: Secret,
    },
}

impl Credentials {
    /// Bearer credentials.
    pub fn bearer(token: impl Into<Secret>) -> Self {
        Credentials::Bearer(token.into())
    }

    /// API-key credentials.
    pub fn api_key(key: impl Into<Secret>) -> Self {
        Credentials::ApiKey(key.into())
    }

    /// HTTP Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credentials::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The token source to ask before a request with these schemes, if any.
    pub(crate) fn source_for(&self, schemes: &[Security]) -> Option<&TokenSource> {
        match self {
            Credentials::BearerSource(source) if schemes.contains(&Security::Bearer) => {
                Some(source)
            }
            Credentials::ApiKeySource(source)
                if schemes
                    .iter()
                    .any(|scheme| matches!(scheme, Security::ApiKeyHeader(_))) =>
            {
                Some(source)
            }
            _ => None,
        }
    }

    /// The secret values they hold (masked wherever a response body shows them).
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        match self {
            Credentials::Bearer(secret) | Credentials::ApiKey(secret) => vec![secret.expose()],
            Credentials::Basic { password, .. } => vec![password.expose()],
            Credentials::None | Credentials::BearerSource(_) | Credentials::ApiKeySource(_) => {
                Vec::new()
            }
        }
    }

    /// Sets the credentials on `request` for the first of `schemes` they fit (`token` is the
    /// token source's current token); an error when they fit none or cannot be sent.
    pub(crate) fn apply(
        &self,
        request: reqwest::RequestBuilder,
        operation: &'static str,
        schemes: &'static [Security],
        token: Option<&Token>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let missing = || Error::MissingCredentials {
            operation,
            accepted: schemes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let scheme = schemes
            .iter()
            .find(|scheme| {
                matches!(
                    (scheme, self),
                    (Security::Bearer, Credentials::Bearer(_))
                        | (Security::Bearer, Credentials::BearerSource(_))
                        | (Security::Basic, Credentials::Basic { .. })
                        | (Security::ApiKeyHeader(_), Credentials::ApiKey(_))
                        | (Security::ApiKeyHeader(_), Credentials::ApiKeySource(_))
                )
            })
            .ok_or_else(missing)?;
        match (scheme, self) {
            (_, Credentials::Basic { username, password }) => {
                Ok(request.basic_auth(username, Some(password.expose())))
            }
            _ => {
                let (name, value) = self.header(scheme, token, operation)?.ok_or_else(missing)?;
                Ok(request.header(name, value))
            }
        }
    }

    /// The header that carries these credentials for `scheme` (`token` is the token source's
    /// current token), marked sensitive; `None` when they do not fit it or are HTTP Basic.
    pub(crate) fn header(
        &self,
        scheme: &Security,
        token: Option<&Token>,
        operation: &'static str,
    ) -> Result<Option<(HeaderName, HeaderValue)>, Error> {
        let invalid = |reason| Error::InvalidCredentials { operation, reason };
        let sensitive = |value: String, reason| {
            let mut value = HeaderValue::try_from(value).map_err(|_| invalid(reason))?;
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        let bearer = |token: &str| {
            let mut value = String::with_capacity(7 + token.len());
            value.push_str("Bearer ");
            value.push_str(token);
            sensitive(value, "the bearer token is not a valid header value")
        };
        // The secret these credentials send: their own, or the token source's current token.
        let value = match self {
            Credentials::Bearer(secret) | Credentials::ApiKey(secret) => secret.expose(),
            Credentials::BearerSource(_) | Credentials::ApiKeySource(_) => match token {
                Some(token) => token.secret().expose(),
                None => return Ok(None),
            },
            Credentials::None | Credentials::Basic { .. } => return Ok(None),
        };
        let header = match (scheme, self) {
            (Security::Bearer, Credentials::Bearer(_) | Credentials::BearerSource(_)) => {
                (AUTHORIZATION, bearer(value)?)
            }
            (
                Security::ApiKeyHeader(name),
                Credentials::ApiKey(_) | Credentials::ApiKeySource(_),
            ) => (
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid("the API key header name is not valid"))?,
                sensitive(value.to_owned(), "the API key is not a valid header value")?,
            ),
            _ => return Ok(None),
        };
        Ok(Some(header))
    }
}
