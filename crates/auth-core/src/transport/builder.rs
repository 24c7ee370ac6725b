//! Configuring a client: the builder, its defaults, and the checks a base URL must pass.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::Error;
use crate::retry::{RetryPolicy, Timeouts};
use crate::token::TokenPolicy;
use crate::transport::client::{Client, ServerUrl, Shared, SpecServer, shown_servers};
use crate::transport::credentials::Credentials;
use crate::transport::redirect::same_origin_redirects;

/// The default limit on a response body: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The headers a vendor's request id is looked for in, in order, unless the client says otherwise
/// (`x-amzn-requestid` is where emnify's gateway puts it).
pub const DEFAULT_REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-amzn-requestid",
];

/// Configures a client: a [`Client`], or a vendor crate's client (`C`), which its
/// `Client::builder()` starts and [`build`](ClientBuilder::build) returns.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Client, Credentials, RetryPolicy, SpecServer, Timeouts};
///
/// // What a vendor crate's generated `Server` enum is like.
/// #[derive(Clone, Copy)]
/// enum Server { Api }
/// impl SpecServer for Server {
///     fn spec_url(self) -> &'static str { "https://api.example.com/v1" }
/// }
///
/// let client = Client::builder()
///     .server_url(Server::Api, "http://127.0.0.1:8080/v1")
///     .credentials(Credentials::bearer("token"))
///     .timeouts(Timeouts { attempt: Some(Duration::from_secs(10)), total: Some(Duration::from_secs(30)) })
///     .retry(RetryPolicy::default().max_attempts(4))
///     .build()
///     .unwrap();
/// assert_eq!(client.server_url(Server::Api).unwrap(), "http://127.0.0.1:8080/v1");
/// ```
#[must_use]
pub struct ClientBuilder<C = Client> {
    servers: Vec<(&'static str, String)>,
    spec_servers: Vec<&'static str>,
    credentials: Credentials,
    headers: Vec<(&'static str, String)>,
    user_agent: String,
    connect_timeout: Duration,
    timeouts: Timeouts,
    retry: RetryPolicy,
    max_body_bytes: usize,
    request_id_headers: &'static [&'static str],
    token_policy: TokenPolicy,
    root_certificates: Vec<Vec<u8>>,
    only_hosts: Option<Vec<String>>,
    /// What `build` returns.
    client: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    /// Header values may be secrets: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("ClientBuilder")
            .field(
                "servers",
                &shown_servers(self.servers.iter().map(|(spec, url)| (*spec, url.as_str()))),
            )
            .field("credentials", &self.credentials)
            .field("headers", &header_names)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("token_policy", &self.token_policy)
            .field("root_certificates", &self.root_certificates.len())
            .field("only_hosts", &self.only_hosts)
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            spec_servers: Vec::new(),
            credentials: Credentials::None,
            headers: Vec::new(),
            user_agent: concat!("auth-core/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_id_headers: DEFAULT_REQUEST_ID_HEADERS,
            token_policy: TokenPolicy::default(),
            root_certificates: Vec::new(),
            only_hosts: None,
            client: PhantomData,
        }
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl<C> ClientBuilder<C> {
    /// Sends requests for `server` to `url` instead of the spec's URL.
    pub fn server_url(mut self, server: impl SpecServer, url: impl Into<String>) -> Self {
        let server = server.spec_url();
        self.servers.retain(|(id, _)| *id != server);
        self.servers.push((server, url.into()));
        self
    }

    /// The servers of the spec the client is for: their URLs (those that are URLs, not templates)
    /// are parsed once, when the client is built, rather than on each call. The vendor crates'
    /// `Client::builder()` names all of theirs; a server left out still works, its URL parsed per
    /// call.
    pub fn spec_servers<S: SpecServer>(mut self, servers: impl IntoIterator<Item = S>) -> Self {
        self.spec_servers
            .extend(servers.into_iter().map(SpecServer::spec_url));
        self
    }

    /// The credentials to send.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// A header sent with every request (replacing an earlier one of the same name).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        self.headers.push((name, value.into()));
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long each attempt and each whole call may take (default 30 s and 90 s).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// How failed attempts are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Trusts the CA certificate `der` (DER-encoded) besides the platform's roots: for a vendor
    /// behind a private CA, or a test server.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(der.into());
        self
    }

    /// The largest response body read (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The headers a vendor's request id is read from, in order.
    pub fn request_id_headers(mut self, names: &'static [&'static str]) -> Self {
        self.request_id_headers = names;
        self
    }

    /// How the token sources that the vendor crates' logins create pace their refreshes
    /// (default: [`TokenPolicy::default`]).
    pub fn token_policy(mut self, policy: TokenPolicy) -> Self {
        self.token_policy = policy;
        self
    }

    /// Lets the client reach these hosts only (names or IP addresses, compared without regard to
    /// case): a request whose server is on any other host fails with
    /// [`Error::HostNotAllowed`] before anything is sent, whatever URL a server, a spec or a
    /// vendor's answer (a Plex connection, say) brings. The vendor crates' `testing::builder`
    /// limits its clients to `127.0.0.1` this way, so a test never reaches the internet.
    pub fn only_hosts<H: Into<String>>(mut self, hosts: impl IntoIterator<Item = H>) -> Self {
        self.only_hosts = Some(hosts.into_iter().map(Into::into).collect());
        self
    }

    /// Builds the client (a vendor crate's, from its `Client::builder()`).
    pub fn build(self) -> Result<C, Error>
    where
        C: From<Client>,
    {
        let servers = self
            .servers
            .into_iter()
            .map(|(server, url)| ServerUrl::new(server, &url))
            .collect::<Result<Vec<_>, Error>>()?;
        // A spec URL that is a template, or not a base URL, is looked up per call as before (and
        // refused there with the error it always gave).
        let spec_servers = self
            .spec_servers
            .into_iter()
            .filter(|spec| !spec.contains('{'))
            .filter_map(|spec| ServerUrl::new(spec, spec).ok())
            .collect();
        let mut headers = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in self.headers {
            let header = HeaderName::from_static_checked(name)?;
            let value = HeaderValue::try_from(value).map_err(|_| {
                Error::Config(format!("header {name} has a value that is not allowed"))
            })?;
            headers.insert(header, value);
        }
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .redirect(same_origin_redirects());
        #[cfg(feature = "rustls")]
        let http = http.tls_backend_rustls();
        #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
        let http = http.tls_backend_native();
        let http = self.root_certificates.iter().try_fold(http, |http, der| {
            reqwest::Certificate::from_der(der)
                .map(|certificate| http.add_root_certificate(certificate))
                .map_err(|err| Error::Config(format!("invalid root certificate: {err}")))
        })?;
        let http = http
            .build()
            .map_err(|err| Error::Config(format!("cannot build the HTTP client: {err}")))?;
        Ok(C::from(Client {
            shared: Arc::new(Shared {
                http,
                servers,
                spec_servers,
                max_body_bytes: self.max_body_bytes,
                request_id_headers: self.request_id_headers,
                token_policy: self.token_policy,
                only_hosts: self.only_hosts.map(Arc::from),
            }),
            credentials: Arc::new(self.credentials),
            retry: self.retry,
            timeouts: self.timeouts,
        }))
    }
}

trait HeaderNameExt: Sized {
    fn from_static_checked(name: &str) -> Result<Self, Error>;
}

impl HeaderNameExt for HeaderName {
    fn from_static_checked(name: &str) -> Result<Self, Error> {
        HeaderName::try_from(name).map_err(|_| Error::Config(format!("{name:?} is no header name")))
    }
}
