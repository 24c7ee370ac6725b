//! A configured client: its settings (servers and their base URLs, credentials, retries, timeouts,
//! limits, token policy), the ways to derive a client from another, and a `Debug` that shows no
//! secret. The builder is in `builder.rs`, the send loop in `send.rs`, body reading in `body.rs`.

use std::fmt;
use std::sync::Arc;

use url::Url;

use crate::error::Error;
use crate::retry::{RetryPolicy, Timeouts};
use crate::secret::redact;
use crate::token::TokenPolicy;
use crate::transport::credentials::Credentials;

/// What clones of a client share: the connection pool and the settings fixed at build time.
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    pub(crate) servers: Vec<(&'static str, String)>,
    pub(crate) max_body_bytes: usize,
    pub(crate) request_id_headers: &'static [&'static str],
    pub(crate) token_policy: TokenPolicy,
    /// The only hosts requests may go to (`None`: any), from [`ClientBuilder::only_hosts`].
    ///
    /// [`ClientBuilder::only_hosts`]: crate::ClientBuilder::only_hosts
    pub(crate) only_hosts: Option<Arc<[String]>>,
}

/// Server URLs as `Debug` shows them: without user-info, query or fragment.
pub(crate) fn shown_servers(servers: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    servers
        .iter()
        .map(|(server, url)| (*server, redact::url(url)))
        .collect()
}

/// A server of a vendor's spec. The vendor crates' generated `Server` enums implement it, so a
/// server is named by a variant, never by a string that could be misspelled.
pub trait SpecServer: Copy {
    /// The server's URL as the spec gives it (a template, such as `{protocol}://{ip}:{port}`,
    /// when it has variables: then a URL must be configured for it).
    fn spec_url(self) -> &'static str;
}

/// A configured HTTP client: one connection pool, base URLs, credentials and limits.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) credentials: Arc<Credentials>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("servers", &shown_servers(&self.shared.servers))
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_body_bytes", &self.shared.max_body_bytes)
            .field("token_policy", &self.shared.token_policy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The credentials this client sends.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The same client (sharing its connection pool) with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Client {
        Client {
            credentials: Arc::new(credentials),
            ..self.clone()
        }
    }

    /// The same client sending a bearer token from `provider`, fetched when a call first needs
    /// it and kept valid by a [`TokenSource`](crate::TokenSource) with this client's
    /// [`TokenPolicy`].
    pub fn with_token_provider(&self, provider: impl crate::TokenProvider + 'static) -> Client {
        self.with_token_source(crate::TokenSource::with_policy(
            provider,
            self.shared.token_policy,
        ))
    }

    /// The same client sending bearer tokens from `source` (shared with its other users).
    pub fn with_token_source(&self, source: crate::TokenSource) -> Client {
        self.with_credentials(Credentials::BearerSource(source))
    }

    /// The bearer token calls send now: the client's own, or a valid one from its token source
    /// (fetched or refreshed when needed, the wait bounded by the total timeout). For handing
    /// the token to another library; calls of the vendor crates send it themselves.
    pub async fn bearer_token(&self) -> Result<crate::Secret, Error> {
        Ok(self.token().await?.secret().clone())
    }

    /// The same as [`Client::bearer_token`], as the whole [`Token`](crate::Token): with its
    /// refresh token and what is left of its lifetime, when the client's token source knows
    /// them. For keeping a session that a login started ([`StoredToken::of`](crate::StoredToken::of)).
    pub async fn token(&self) -> Result<Arc<crate::Token>, Error> {
        match &*self.credentials {
            Credentials::Bearer(token) => Ok(Arc::new(crate::Token::new(token.clone()))),
            Credentials::BearerSource(source) => source.token_until(self.call_deadline()).await,
            _ => Err(Error::MissingCredentials {
                operation: "bearer_token",
                accepted: "a bearer token".to_owned(),
            }),
        }
    }

    /// The client token requests are sent with (see [`crate::session::token_client`]).
    pub(crate) fn token_client(&self, credentials: Credentials) -> Client {
        Client {
            credentials: Arc::new(credentials),
            timeouts: Timeouts::none(),
            ..self.clone()
        }
    }

    /// The same client with another retry policy: for one call, `client.with_retry(..).op(..)`.
    pub fn with_retry(&self, retry: RetryPolicy) -> Client {
        Client {
            retry,
            ..self.clone()
        }
    }

    /// The same client with other attempt and total timeouts.
    pub fn with_timeouts(&self, timeouts: Timeouts) -> Client {
        Client {
            timeouts,
            ..self.clone()
        }
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The attempt and total timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// How the token sources that the vendor crates' logins create pace their refreshes.
    pub fn token_policy(&self) -> TokenPolicy {
        self.shared.token_policy
    }

    /// The same client (sharing its connection pool) sending requests for `server` to `url`.
    pub fn with_server_url(&self, server: impl SpecServer, url: &str) -> Result<Client, Error> {
        let server = server.spec_url();
        let url = normalize_base_url(url)?;
        let mut servers = self.shared.servers.clone();
        servers.retain(|(id, _)| *id != server);
        servers.push((server, url));
        Ok(Client {
            shared: Arc::new(Shared {
                http: self.shared.http.clone(),
                servers,
                max_body_bytes: self.shared.max_body_bytes,
                request_id_headers: self.shared.request_id_headers,
                token_policy: self.shared.token_policy,
                only_hosts: self.shared.only_hosts.clone(),
            }),
            ..self.clone()
        })
    }

    /// The base URL requests to `server` go to.
    pub fn server_url(&self, server: impl SpecServer) -> Result<&str, Error> {
        self.base_url(server.spec_url())
    }

    /// The base URL for the server the spec writes as `server`: the one configured, or the
    /// spec's own when it is a URL; a template (a server with variables) or a relative URL must
    /// be configured. On a client limited to some hosts, a URL of any other host is refused
    /// here, before anything is sent: every request's URL starts with a base URL, and
    /// redirects never leave its origin.
    pub(crate) fn base_url(&self, server: &'static str) -> Result<&str, Error> {
        let url = match self.shared.servers.iter().find(|(id, _)| *id == server) {
            Some((_, url)) => url.as_str(),
            None if server.contains('{') || !server.contains("://") => {
                return Err(Error::MissingServerUrl(server));
            }
            None => server.trim_end_matches('/'),
        };
        if let Some(hosts) = &self.shared.only_hosts {
            let host = Url::parse(url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_default();
            if !hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(&host))
            {
                return Err(Error::HostNotAllowed { host });
            }
        }
        Ok(url)
    }
}

/// `url` checked as a base URL (http or https, no query, fragment or user-info) and without its
/// trailing slash.
pub(crate) fn normalize_base_url(url: &str) -> Result<String, Error> {
    // Messages show the URL without user-info or query: either may hold a secret.
    let shown = redact::url(url);
    let parsed =
        Url::parse(url).map_err(|err| Error::Config(format!("base URL {shown:?}: {err}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!("base URL {shown:?} is not http(s)")));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must not carry user-info; give credentials with `Credentials`"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}
