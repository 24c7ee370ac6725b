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
    /// The base URLs configured for servers of the spec.
    pub(crate) servers: Vec<ServerUrl>,
    /// The spec's own server URLs (those that are URLs, not templates), parsed once: the
    /// vendor crates' builders name them ([`ClientBuilder::spec_servers`]).
    ///
    /// [`ClientBuilder::spec_servers`]: crate::ClientBuilder::spec_servers
    pub(crate) spec_servers: Vec<ServerUrl>,
    pub(crate) max_body_bytes: usize,
    pub(crate) request_id_headers: &'static [&'static str],
    pub(crate) token_policy: TokenPolicy,
    /// The only hosts requests may go to (`None`: any), from [`ClientBuilder::only_hosts`].
    ///
    /// [`ClientBuilder::only_hosts`]: crate::ClientBuilder::only_hosts
    pub(crate) only_hosts: Option<Arc<[String]>>,
}

/// A server's base URL, checked and without its trailing slash, and parsed once: each request's
/// URL is made from the parsed form ([`request_url`]), so that no call parses a scheme or a host
/// again (for a host name, the URL parser's IDNA pass). Hand-written code parses the whole URL on
/// every call: about 6,900 instructions of a 78,000-instruction request on loopback.
#[derive(Clone)]
pub(crate) struct ServerUrl {
    /// The server as the spec writes it.
    pub(crate) spec: &'static str,
    /// The base URL as [`Client::server_url`] gives it.
    pub(crate) text: String,
    pub(crate) parsed: Url,
}

impl ServerUrl {
    /// `url` for `spec`, checked as a base URL.
    pub(crate) fn new(spec: &'static str, url: &str) -> Result<Self, Error> {
        let text = normalize_base_url(url)?;
        let parsed = Url::parse(&text)
            .map_err(|err| Error::Config(format!("base URL {:?}: {err}", redact::url(url))))?;
        Ok(Self { spec, text, parsed })
    }
}

/// The URL of `path` (a `/`-led path, perhaps with a query) on `base`: what parsing the text of
/// `base` followed by `path` gives, the fragment left out (it is never sent), but with the base's
/// scheme and authority copied rather than parsed again. Only the path and the query are parsed
/// (`tests::a_request_url_is_the_url_its_text_parses_to`).
pub(crate) fn request_url(base: &Url, path: &str) -> Url {
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let mut url = base.clone();
    match base.path() {
        "/" => url.set_path(path),
        prefix => {
            let mut full = String::with_capacity(prefix.len() + path.len());
            full.push_str(prefix);
            full.push_str(path);
            url.set_path(&full);
        }
    }
    if query.is_some() {
        url.set_query(query);
    }
    url
}

/// Server URLs as `Debug` shows them: without user-info, query or fragment.
pub(crate) fn shown_servers<'a>(
    servers: impl IntoIterator<Item = (&'static str, &'a str)>,
) -> Vec<(&'static str, String)> {
    servers
        .into_iter()
        .map(|(server, url)| (server, redact::url(url)))
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
            .field(
                "servers",
                &shown_servers(
                    self.shared
                        .servers
                        .iter()
                        .map(|server| (server.spec, server.text.as_str())),
                ),
            )
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_body_bytes", &self.shared.max_body_bytes)
            .field("token_policy", &self.shared.token_policy)
            .finish_non_exhaustive()
    }
}

/// A [`Client`] that does not keep it alive: [`WeakClient::upgrade`] gives the client back while
/// it (or a clone of it) still exists. For background work tied to a client's lifetime, such as
/// a keep-alive that should stop when the application drops the client.
#[derive(Clone)]
pub struct WeakClient {
    shared: std::sync::Weak<Shared>,
    credentials: std::sync::Weak<Credentials>,
    retry: RetryPolicy,
    timeouts: Timeouts,
}

impl fmt::Debug for WeakClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakClient")
            .field("alive", &(self.credentials.strong_count() > 0))
            .finish_non_exhaustive()
    }
}

impl WeakClient {
    /// The client, while it or a clone of it exists. Clients derived from it with other
    /// credentials or servers (`with_credentials`, `with_token`, `with_server_url`) are other
    /// clients: they do not keep this one alive.
    pub fn upgrade(&self) -> Option<Client> {
        Some(Client {
            shared: self.shared.upgrade()?,
            credentials: self.credentials.upgrade()?,
            retry: self.retry,
            timeouts: self.timeouts,
        })
    }
}

impl Client {
    /// A handle that does not keep this client alive (see [`WeakClient`]).
    pub fn downgrade(&self) -> WeakClient {
        WeakClient {
            shared: Arc::downgrade(&self.shared),
            credentials: Arc::downgrade(&self.credentials),
            retry: self.retry,
            timeouts: self.timeouts,
        }
    }

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
        let server = ServerUrl::new(server.spec_url(), url)?;
        let mut servers = self.shared.servers.clone();
        servers.retain(|configured| configured.spec != server.spec);
        servers.push(server);
        Ok(Client {
            shared: Arc::new(Shared {
                http: self.shared.http.clone(),
                servers,
                spec_servers: self.shared.spec_servers.clone(),
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

    /// The base URL for the server the spec writes as `server` (see [`Client::base`]).
    pub(crate) fn base_url(&self, server: &'static str) -> Result<&str, Error> {
        self.base(server).map(|(text, _)| text)
    }

    /// The base URL for the server the spec writes as `server`, and its parsed form when the
    /// client has one: the one configured, or the spec's own when it is a URL; a template (a
    /// server with variables) or a relative URL must be configured. On a client limited to some
    /// hosts, a URL of any other host is refused here, before anything is sent: every request's
    /// URL starts with a base URL, and redirects never leave its origin.
    pub(crate) fn base(&self, server: &'static str) -> Result<(&str, Option<&Url>), Error> {
        let shared = &*self.shared;
        let known = (shared.servers.iter())
            .chain(&shared.spec_servers)
            .find(|known| known.spec == server);
        let (url, parsed) = match known {
            Some(found) => (found.text.as_str(), Some(&found.parsed)),
            None if server.contains('{') || !server.contains("://") => {
                return Err(Error::MissingServerUrl(server));
            }
            None => (server.trim_end_matches('/'), None),
        };
        if let Some(hosts) = &shared.only_hosts {
            let host = match parsed {
                Some(parsed) => parsed.host_str().map(str::to_owned),
                None => Url::parse(url)
                    .ok()
                    .and_then(|url| url.host_str().map(str::to_owned)),
            }
            .unwrap_or_default();
            if !hosts
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(&host))
            {
                return Err(Error::HostNotAllowed { host });
            }
        }
        Ok((url, parsed))
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use url::Url;

    use super::{ServerUrl, request_url};

    proptest! {
        /// A request's URL made from its parsed base is the one the whole text parses to: the
        /// same path (dot segments, backslashes and percent-encoding as the parser treats them)
        /// and query, the fragment left out as reqwest leaves it out of what it sends.
        #[test]
        fn a_request_url_is_the_url_its_text_parses_to(
            base in prop::sample::select(vec![
                "https://api.example.com",
                "https://api.example.com/v1/",
                "http://127.0.0.1:8080/a/b",
                "http://[::1]:9/",
                "https://xn--bcher-kva.example:8443/api/v2",
            ]),
            rest in "[ -\\x7e\\\\@:%/?#.\\[\\]éü\\u{0}\\t\\n]{0,40}",
        ) {
            let base = ServerUrl::new("spec", base).unwrap();
            // The parser trims a URL's trailing spaces and control characters; a path keeps them
            // (percent-encoded), which no generated path has and no server can mistake.
            let path = format!("/{}", rest.trim_end_matches(|c: char| c <= ' '));
            let mut expected = Url::parse(&format!("{}{path}", base.text)).unwrap();
            expected.set_fragment(None);
            let made = request_url(&base.parsed, &path);
            prop_assert_eq!(made.as_str(), expected.as_str(), "{}", path);
        }
    }

    #[test]
    fn the_paths_that_could_leave_the_origin_stay_on_it() {
        let base = ServerUrl::new("spec", "https://api.example.com").unwrap();
        for (path, expected) in [
            (
                "//evil.example/x",
                "https://api.example.com//evil.example/x",
            ),
            ("/\\evil.example", "https://api.example.com//evil.example"),
            ("/..//evil.example", "https://api.example.com//evil.example"),
            (
                "/@evil.example?a=1#f",
                "https://api.example.com/@evil.example?a=1",
            ),
        ] {
            assert_eq!(request_url(&base.parsed, path).as_str(), expected, "{path}");
        }
    }
}
