//! The HTTP client every operation goes through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::error::Error;
use crate::request::{Request, Security};
use crate::response::{Response, ResponseMeta};
use crate::secret::Secret;
use crate::token::{Token, TokenSource};

/// The default limit on a response body: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The headers a vendor's request id is looked for in, in order, unless the client says otherwise.
pub const DEFAULT_REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "request-id", "x-correlation-id"];

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
    fn source_for(&self, schemes: &[Security]) -> Option<&TokenSource> {
        match self {
            Credentials::BearerSource(source) if schemes.contains(&Security::Bearer) => {
                Some(source)
            }
            _ => None,
        }
    }

    fn apply(
        &self,
        request: reqwest::RequestBuilder,
        schemes: &[Security],
        token: Option<&Token>,
    ) -> Option<reqwest::RequestBuilder> {
        schemes.iter().find_map(|scheme| match (scheme, self) {
            (Security::Bearer, Credentials::Bearer(token)) => {
                Some(request.try_clone()?.bearer_auth(token.expose()))
            }
            (Security::Bearer, Credentials::BearerSource(_)) => {
                Some(request.try_clone()?.bearer_auth(token?.secret().expose()))
            }
            (Security::Basic, Credentials::Basic { username, password }) => Some(
                request
                    .try_clone()?
                    .basic_auth(username, Some(password.expose())),
            ),
            (Security::ApiKeyHeader(name), Credentials::ApiKey(key)) => {
                let mut value = HeaderValue::from_str(key.expose()).ok()?;
                value.set_sensitive(true);
                Some(request.try_clone()?.header(*name, value))
            }
            _ => None,
        })
    }
}

struct Shared {
    http: reqwest::Client,
    servers: Vec<(&'static str, String)>,
    max_body_bytes: usize,
    request_id_headers: &'static [&'static str],
}

/// A configured HTTP client: one connection pool, base URLs, credentials and limits.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    credentials: Arc<Credentials>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("servers", &self.shared.servers)
            .field("credentials", &self.credentials)
            .field("max_body_bytes", &self.shared.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The credentials this client sends.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The same client (sharing its connection pool) with other credentials.
    pub fn with_credentials(&self, credentials: Credentials) -> Client {
        Client {
            shared: Arc::clone(&self.shared),
            credentials: Arc::new(credentials),
        }
    }

    /// The same client (sharing its connection pool) sending requests for `server` (a server URL
    /// as the spec gives it) to `url`.
    pub fn with_server_url(&self, server: &'static str, url: &str) -> Result<Client, Error> {
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
            }),
            credentials: Arc::clone(&self.credentials),
        })
    }

    /// The base URL requests to `server` go to.
    pub fn server_url(&self, server: &'static str) -> Result<&str, Error> {
        if let Some((_, url)) = self.shared.servers.iter().find(|(id, _)| *id == server) {
            return Ok(url);
        }
        if server.contains('{') {
            return Err(Error::MissingServerUrl(server));
        }
        Ok(server.trim_end_matches('/'))
    }

    /// Sends `request` and reads the response body, up to the client's limit.
    ///
    /// With [`Credentials::BearerSource`], a 401 answer invalidates the token, and the request is
    /// sent once more with a fresh one: a 401 means the server did not act on the request, so
    /// sending it again is safe whatever its method.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let source = self.credentials.source_for(request.security);
        let token = match source {
            Some(source) => Some(source.token().await?),
            None => None,
        };
        let response = self.attempt(&request, token.as_deref()).await?;
        if let (Some(source), Some(rejected)) = (source, &token)
            && response.status() == reqwest::StatusCode::UNAUTHORIZED
        {
            source.invalidate(rejected);
            let fresh = source.token().await?;
            return self.attempt(&request, Some(&fresh)).await;
        }
        Ok(response)
    }

    async fn attempt(&self, request: &Request, token: Option<&Token>) -> Result<Response, Error> {
        let http_request = self.build(request, token)?;
        let response = http_request.send().await.map_err(Error::from_reqwest)?;
        self.read(response).await
    }

    fn build(
        &self,
        request: &Request,
        token: Option<&Token>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let base = self.server_url(request.server)?;
        let mut url = Url::parse(&format!("{base}{}", request.path)).map_err(|err| {
            Error::InvalidRequest(format!(
                "cannot build the URL of {}: {err}",
                request.operation
            ))
        })?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
        }
        let mut builder = self.shared.http.request(request.method.clone(), url);
        for (name, value) in &request.headers {
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                Error::InvalidRequest(format!("header {name} has a value that is not allowed"))
            })?;
            builder = builder.header(*name, value);
        }
        if let Some(accept) = request.accept {
            builder = builder.header(ACCEPT, accept);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, body.content_type)
                .body(body.bytes.clone());
        }
        if request.security.is_empty() {
            return Ok(builder);
        }
        self.credentials
            .apply(builder, request.security, token)
            .ok_or_else(|| Error::MissingCredentials {
                operation: request.operation,
                accepted: request
                    .security
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" or "),
            })
    }

    async fn read(&self, mut response: reqwest::Response) -> Result<Response, Error> {
        let limit = self.shared.max_body_bytes;
        let status = response.status();
        let too_large = |headers: HeaderMap, body: &Bytes| Error::BodyTooLarge {
            limit,
            meta: ResponseMeta::new(status, headers, self.shared.request_id_headers, body),
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large(
                std::mem::take(response.headers_mut()),
                &Bytes::new(),
            ));
        }
        // Most bodies arrive in one chunk: keep it as it is, and copy only when more follow.
        let mut first: Option<Bytes> = None;
        let mut rest = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            let received = first.as_ref().map_or(0, Bytes::len) + rest.len();
            if received + chunk.len() > limit {
                let mut partial = BytesMut::from(first.take().unwrap_or_default());
                partial.extend_from_slice(&rest);
                partial.extend_from_slice(&chunk[..limit - received]);
                return Err(too_large(
                    std::mem::take(response.headers_mut()),
                    &partial.freeze(),
                ));
            }
            match &first {
                None => first = Some(chunk),
                Some(_) => rest.extend_from_slice(&chunk),
            }
        }
        let body = match first {
            None => Bytes::new(),
            Some(first) if rest.is_empty() => first,
            Some(first) => {
                let mut whole = BytesMut::with_capacity(first.len() + rest.len());
                whole.extend_from_slice(&first);
                whole.extend_from_slice(&rest);
                whole.freeze()
            }
        };
        Ok(Response::new(
            status,
            std::mem::take(response.headers_mut()),
            body,
            self.shared.request_id_headers,
        ))
    }
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Client, Credentials};
///
/// let client = Client::builder()
///     .server_url("https://api.example.com/v1", "http://127.0.0.1:8080/v1")
///     .credentials(Credentials::bearer("token"))
///     .timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert_eq!(client.server_url("https://api.example.com/v1").unwrap(), "http://127.0.0.1:8080/v1");
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    servers: Vec<(&'static str, String)>,
    credentials: Credentials,
    headers: Vec<(&'static str, String)>,
    user_agent: String,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    max_body_bytes: usize,
    request_id_headers: &'static [&'static str],
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            credentials: Credentials::None,
            headers: Vec::new(),
            user_agent: concat!("auth-core/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(30)),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_id_headers: DEFAULT_REQUEST_ID_HEADERS,
        }
    }
}

impl ClientBuilder {
    /// Sends requests for `server` (a server URL as the spec gives it) to `url` instead.
    pub fn server_url(mut self, server: &'static str, url: impl Into<String>) -> Self {
        self.servers.retain(|(id, _)| *id != server);
        self.servers.push((server, url.into()));
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

    /// How long one request may take, from sending to the end of the body (default 30 s);
    /// `None` waits for ever.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
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

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let servers = self
            .servers
            .into_iter()
            .map(|(server, url)| Ok((server, normalize_base_url(&url)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let mut headers = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in self.headers {
            let header = HeaderName::from_static_checked(name)?;
            let value = HeaderValue::try_from(value).map_err(|_| {
                Error::Config(format!("header {name} has a value that is not allowed"))
            })?;
            headers.insert(header, value);
        }
        #[cfg(feature = "rustls")]
        crate::tls::install_default_provider();
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .redirect(same_origin_redirects());
        if let Some(timeout) = self.timeout {
            http = http.timeout(timeout);
        }
        let http = http
            .build()
            .map_err(|err| Error::Config(format!("cannot build the HTTP client: {err}")))?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                servers,
                max_body_bytes: self.max_body_bytes,
                request_id_headers: self.request_id_headers,
            }),
            credentials: Arc::new(self.credentials),
        })
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

fn normalize_base_url(url: &str) -> Result<String, Error> {
    let parsed =
        Url::parse(url).map_err(|err| Error::Config(format!("base URL {url:?}: {err}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!("base URL {url:?} is not http(s)")));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {url:?} must not have a query or fragment"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// Redirects are followed within the same origin only, so credentials never reach another host.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .last()
            .is_some_and(|previous| previous.origin() == attempt.url().origin());
        if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else if same_origin {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}
