//! The credentials a client sends, and how each fits the security schemes an operation accepts.

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::Error;
use crate::secret::Secret;
use crate::token::Token;
use crate::token::TokenSource;
use crate::transport::request::Security;

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
    /// Several credentials, for operations that require several schemes at once (see
    /// [`Credentials::several`]).
    Several(Vec<Credentials>),
}

/// One thing a request carries for its credentials.
#[derive(Debug)]
pub(crate) enum Applied {
    /// A header, its value marked sensitive.
    Header(HeaderName, HeaderValue),
    /// A query parameter.
    Query(&'static str, Secret),
    /// A cookie.
    Cookie(&'static str, Secret),
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

    /// Several credentials at once, for operations whose spec requires several schemes together
    /// (an API key and a bearer token, say): each scheme gets the first of them that fits it.
    /// At most one of them should be a token source.
    pub fn several(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        Credentials::Several(credentials.into_iter().collect())
    }

    /// These credentials, or each of several.
    fn members(&self) -> &[Credentials] {
        match self {
            Credentials::Several(all) => all,
            one => std::slice::from_ref(one),
        }
    }

    /// The token source to ask before a request with these schemes, if any: the first one a
    /// scheme among them takes a token of.
    pub(crate) fn source_for(&self, schemes: &[Security]) -> Option<&TokenSource> {
        fn takes(scheme: &Security, credentials: &Credentials) -> bool {
            match (scheme, credentials) {
                (Security::All(all), _) => all.iter().any(|scheme| takes(scheme, credentials)),
                (Security::Bearer, Credentials::BearerSource(_)) => true,
                (
                    Security::ApiKeyHeader(_)
                    | Security::ApiKeyQuery(_)
                    | Security::ApiKeyCookie(_)
                    | Security::HttpScheme(_),
                    Credentials::ApiKeySource(_),
                ) => true,
                _ => false,
            }
        }
        self.members().iter().find_map(|member| match member {
            Credentials::BearerSource(source) | Credentials::ApiKeySource(source)
                if schemes.iter().any(|scheme| takes(scheme, member)) =>
            {
                Some(source)
            }
            _ => None,
        })
    }

    /// The secret values they hold (masked wherever a response body shows them).
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        match self {
            Credentials::Bearer(secret) | Credentials::ApiKey(secret) => vec![secret.expose()],
            Credentials::Basic { password, .. } => vec![password.expose()],
            Credentials::Several(all) => all.iter().flat_map(Credentials::secret_values).collect(),
            Credentials::None | Credentials::BearerSource(_) | Credentials::ApiKeySource(_) => {
                Vec::new()
            }
        }
    }

    /// What these credentials put on a request for the first of `schemes` they fit (`token` is
    /// the current token of [`Credentials::source_for`]'s source); nothing when `schemes` is
    /// empty or allows no credentials ([`Security::Anonymous`]) and none fits; an error when none
    /// fits otherwise, or the credentials cannot be sent.
    pub(crate) fn applied(
        &self,
        operation: &'static str,
        schemes: &[Security],
        token: Option<&Token>,
    ) -> Result<Vec<Applied>, Error> {
        let source = self.source_for(schemes);
        for scheme in schemes {
            if let Some(applied) = self.fit(scheme, source, token, operation)? {
                return Ok(applied);
            }
        }
        if schemes.is_empty() || schemes.contains(&Security::Anonymous) {
            return Ok(Vec::new());
        }
        Err(Error::MissingCredentials {
            operation,
            accepted: schemes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }

    /// What these credentials put on a request for `scheme`, when they fit it (every part of it,
    /// for [`Security::All`]).
    fn fit(
        &self,
        scheme: &Security,
        source: Option<&TokenSource>,
        token: Option<&Token>,
        operation: &'static str,
    ) -> Result<Option<Vec<Applied>>, Error> {
        match scheme {
            Security::Anonymous => Ok(None),
            Security::All(parts) => {
                let mut all = Vec::with_capacity(parts.len());
                for part in *parts {
                    match self.fit(part, source, token, operation)? {
                        Some(applied) => all.extend(applied),
                        None => return Ok(None),
                    }
                }
                Ok(Some(all))
            }
            single => {
                for member in self.members() {
                    if let Some(applied) = member.fit_one(single, source, token, operation)? {
                        return Ok(Some(vec![applied]));
                    }
                }
                Ok(None)
            }
        }
    }

    /// What these credentials (not [`Credentials::Several`]) put on a request for one plain
    /// `scheme`, when they fit it.
    fn fit_one(
        &self,
        scheme: &Security,
        source: Option<&TokenSource>,
        token: Option<&Token>,
        operation: &'static str,
    ) -> Result<Option<Applied>, Error> {
        let invalid = |reason| Error::InvalidCredentials { operation, reason };
        let sensitive = |value: String, reason| {
            let mut value = HeaderValue::try_from(value).map_err(|_| invalid(reason))?;
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        // The secret these credentials send: their own, or the token source's current token
        // (only the source the token is of).
        let secret = match self {
            Credentials::Bearer(secret) | Credentials::ApiKey(secret) => secret,
            Credentials::BearerSource(own) | Credentials::ApiKeySource(own) => {
                match (source, token) {
                    (Some(source), Some(token)) if source.same(own) => token.secret(),
                    _ => return Ok(None),
                }
            }
            Credentials::Basic { username, password } => {
                if *scheme != Security::Basic {
                    return Ok(None);
                }
                let mut value =
                    HeaderValue::from_maybe_shared(basic_value(username, password.expose()))
                        .map_err(|_| {
                            invalid("the Basic credentials are not a valid header value")
                        })?;
                value.set_sensitive(true);
                return Ok(Some(Applied::Header(AUTHORIZATION, value)));
            }
            Credentials::None | Credentials::Several(_) => return Ok(None),
        };
        let bearer_kind = matches!(self, Credentials::Bearer(_) | Credentials::BearerSource(_));
        let applied = match scheme {
            Security::Bearer if bearer_kind => Applied::Header(
                AUTHORIZATION,
                sensitive(
                    format!("Bearer {}", secret.expose()),
                    "the bearer token is not a valid header value",
                )?,
            ),
            _ if bearer_kind => return Ok(None),
            Security::ApiKeyHeader(name) => Applied::Header(
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| invalid("the API key header name is not valid"))?,
                sensitive(
                    secret.expose().to_owned(),
                    "the API key is not a valid header value",
                )?,
            ),
            Security::HttpScheme(name) => Applied::Header(
                AUTHORIZATION,
                sensitive(
                    format!("{name} {}", secret.expose()),
                    "the API key is not a valid header value",
                )?,
            ),
            Security::ApiKeyQuery(name) => Applied::Query(name, secret.clone()),
            Security::ApiKeyCookie(name) => {
                if !secret.expose().bytes().all(is_cookie_octet) {
                    return Err(invalid("the API key is not a valid cookie value"));
                }
                Applied::Cookie(name, secret.clone())
            }
            _ => return Ok(None),
        };
        Ok(Some(applied))
    }
}

/// `Basic <base64(username:password)>`.
fn basic_value(username: &str, password: &str) -> bytes::Bytes {
    use base64::Engine as _;
    let mut value = String::from("Basic ");
    base64::engine::general_purpose::STANDARD
        .encode_string(format!("{username}:{password}"), &mut value);
    value.into()
}

/// A byte a cookie value may hold as it is (RFC 6265's `cookie-octet`).
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// The `Cookie` header of `cookies` (`name=value; ...`), marked sensitive when `secret`.
pub(crate) fn cookie_header(
    cookies: &[(&str, &str)],
    secret: bool,
) -> Result<Option<HeaderValue>, Error> {
    if cookies.is_empty() {
        return Ok(None);
    }
    let text = cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut value = HeaderValue::try_from(text)
        .map_err(|_| Error::InvalidRequest("a cookie is not a valid header value".into()))?;
    value.set_sensitive(secret);
    Ok(Some(value))
}
