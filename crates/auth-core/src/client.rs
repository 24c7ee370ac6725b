//! The HTTP client every operation goes through.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::error::{Error, TimeoutKind};
use crate::redact;
use crate::request::{Request, Security};
use crate::response::{Response, ResponseMeta, Sent};
use crate::retry::{Repeat, RetryPolicy, Timeouts};
use crate::secret::Secret;
use crate::token::Token;
use crate::token_source::{TokenPolicy, TokenSource};

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

    /// The secret values they hold (masked wherever a response body shows them).
    pub(crate) fn secret_values(&self) -> Vec<&str> {
        match self {
            Credentials::Bearer(secret) | Credentials::ApiKey(secret) => vec![secret.expose()],
            Credentials::Basic { password, .. } => vec![password.expose()],
            Credentials::None | Credentials::BearerSource(_) => Vec::new(),
        }
    }

    /// Sets the credentials on `request` for the first of `schemes` they fit (`token` is the
    /// token source's current token); an error when they fit none or cannot be sent.
    fn apply(
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
                )
            })
            .ok_or_else(missing)?;
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
        match (scheme, self) {
            (_, Credentials::Bearer(token)) => {
                Ok(request.header(AUTHORIZATION, bearer(token.expose())?))
            }
            (_, Credentials::BearerSource(_)) => {
                let token = token.ok_or_else(missing)?;
                Ok(request.header(AUTHORIZATION, bearer(token.secret().expose())?))
            }
            (_, Credentials::Basic { username, password }) => {
                Ok(request.basic_auth(username, Some(password.expose())))
            }
            (Security::ApiKeyHeader(name), Credentials::ApiKey(key)) => Ok(request.header(
                *name,
                sensitive(
                    key.expose().to_owned(),
                    "the API key is not a valid header value",
                )?,
            )),
            _ => Err(missing()),
        }
    }
}

struct Shared {
    http: reqwest::Client,
    servers: Vec<(&'static str, String)>,
    max_body_bytes: usize,
    request_id_headers: &'static [&'static str],
    token_policy: TokenPolicy,
}

/// Server URLs as `Debug` shows them: without user-info, query or fragment.
fn shown_servers(servers: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    servers
        .iter()
        .map(|(server, url)| (*server, redact::url(url)))
        .collect()
}

/// A configured HTTP client: one connection pool, base URLs, credentials and limits.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    credentials: Arc<Credentials>,
    retry: RetryPolicy,
    timeouts: Timeouts,
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
            credentials: Arc::new(credentials),
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
                token_policy: self.shared.token_policy,
            }),
            ..self.clone()
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
    /// Failed attempts are retried as the [`RetryPolicy`] says, each attempt and the whole call
    /// bounded by the [`Timeouts`] (the wait for a token included). With
    /// [`Credentials::BearerSource`], a 401 answer invalidates the token and the request is sent
    /// once more with a fresh one: a 401 means the server did not act on the request, so sending
    /// it again is safe whatever its method.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let call = self.send_with_retries(&request);
        #[cfg(feature = "tracing")]
        let call = {
            use tracing::Instrument as _;
            let operation = request.operation;
            call.instrument(tracing::info_span!(
                "auth_core::request",
                api = operation.api,
                operation = operation.id,
                method = %operation.method,
                path = operation.path,
                status = tracing::field::Empty,
                attempt = tracing::field::Empty,
            ))
        };
        call.await
    }

    async fn send_with_retries(&self, request: &Request) -> Result<Response, Error> {
        // One deadline for the whole call; each attempt runs under one timer, set to whichever
        // of its own limit and the call's comes first.
        let deadline = self.timeouts.total.and_then(later);
        let source = self.credentials.source_for(request.operation.security);
        let mut token: Option<Arc<Token>> = None;
        let mut replayed = false;
        let mut attempt = 1;
        // One loop, and one place that awaits an attempt, keeps the call's future small.
        loop {
            if let Some(source) = source {
                token = Some(source.token_until(deadline).await?);
            }
            #[cfg(feature = "tracing")]
            tracing::Span::current().record("attempt", attempt);
            let result = self.attempt(request, token.as_ref(), deadline).await;
            if let (Some(source), Some(rejected), Ok(response)) = (source, &token, &result)
                && response.status() == reqwest::StatusCode::UNAUTHORIZED
                && !replayed
            {
                // The server did not act on a request it answered 401: refresh the token and
                // send the request once more, whatever its method.
                source.invalidate(rejected);
                replayed = true;
                continue;
            }
            #[cfg(feature = "tracing")]
            if let Ok(response) = &result {
                tracing::Span::current().record("status", response.status().as_u16());
            }
            let repeat = Repeat::of_result(&result);
            let Some(wait) =
                self.retry
                    .wait_before_retry(repeat, request.operation.idempotent, attempt)
            else {
                return result;
            };
            if deadline.is_some_and(|deadline| later(wait).is_none_or(|end| end >= deadline)) {
                // No time left for another attempt: the last answer stands.
                return result;
            }
            #[cfg(feature = "tracing")]
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        request: &Request,
        token: Option<&Arc<Token>>,
        deadline: Option<Instant>,
    ) -> Result<Response, Error> {
        let http_request = self.build(request, token.map(Arc::as_ref))?;
        let sent = Sent {
            credentials: Arc::clone(&self.credentials),
            token: token.cloned(),
            body: request.body.as_ref().map(|body| body.bytes.clone()),
        };
        // Boxed: reqwest's future is large, and keeping it out of the call's own future keeps
        // that small (measured: fewer bytes moved and allocations on malloc's fast path).
        let exchange = Box::pin(async {
            let response = http_request.send().await.map_err(Error::from_reqwest)?;
            self.read(response, &sent).await
        });
        let attempt_deadline = self.timeouts.attempt.and_then(later);
        let (limit, kind) = match (attempt_deadline, deadline) {
            (Some(attempt), Some(total)) if total <= attempt => (total, TimeoutKind::Total),
            (Some(attempt), _) => (attempt, TimeoutKind::Attempt),
            (None, Some(total)) => (total, TimeoutKind::Total),
            (None, None) => return exchange.await,
        };
        tokio::time::timeout_at(limit.into(), exchange)
            .await
            .unwrap_or(Err(Error::Timeout(kind)))
    }

    fn build(
        &self,
        request: &Request,
        token: Option<&Token>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let operation = request.operation;
        let base = self.server_url(operation.server)?;
        let mut full = String::with_capacity(base.len() + request.path.len());
        full.push_str(base);
        full.push_str(&request.path);
        let mut url = Url::parse(&full).map_err(|err| {
            Error::InvalidRequest(format!("cannot build the URL of {}: {err}", operation.id))
        })?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
        }
        let mut builder = self.shared.http.request(operation.method.clone(), url);
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
        if operation.security.is_empty() {
            return Ok(builder);
        }
        self.credentials
            .apply(builder, operation.id, operation.security, token)
    }

    async fn read(&self, mut response: reqwest::Response, sent: &Sent) -> Result<Response, Error> {
        let limit = self.shared.max_body_bytes;
        let status = response.status();
        let too_large = |headers: HeaderMap, body: &Bytes| Error::BodyTooLarge {
            limit,
            meta: ResponseMeta::new(
                status,
                headers,
                self.shared.request_id_headers,
                body,
                &sent.held(),
            ),
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
        // Most bodies arrive in one chunk: keep it as it is; from the second chunk on, every
        // byte is copied once, into `joined`.
        let mut single: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            let received = single.as_ref().map_or(joined.len(), Bytes::len);
            if let Some(first) = single.take() {
                joined.reserve(first.len() + chunk.len());
                joined.extend_from_slice(&first);
            } else if joined.is_empty() && received + chunk.len() <= limit {
                single = Some(chunk);
                continue;
            }
            if received + chunk.len() > limit {
                joined.extend_from_slice(&chunk[..limit - received]);
                return Err(too_large(
                    std::mem::take(response.headers_mut()),
                    &joined.freeze(),
                ));
            }
            joined.extend_from_slice(&chunk);
        }
        let body = single.unwrap_or_else(|| joined.freeze());
        Ok(Response::new(
            status,
            std::mem::take(response.headers_mut()),
            body,
            self.shared.request_id_headers,
            sent.clone(),
        ))
    }
}

/// The instant `wait` from now; `None` when that is past what the clock can hold.
fn later(wait: Duration) -> Option<Instant> {
    Instant::now().checked_add(wait)
}

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Client, Credentials, RetryPolicy, Timeouts};
///
/// let client = Client::builder()
///     .server_url("https://api.example.com/v1", "http://127.0.0.1:8080/v1")
///     .credentials(Credentials::bearer("token"))
///     .timeouts(Timeouts { attempt: Some(Duration::from_secs(10)), total: Some(Duration::from_secs(30)) })
///     .retry(RetryPolicy::default().max_attempts(4))
///     .build()
///     .unwrap();
/// assert_eq!(client.server_url("https://api.example.com/v1").unwrap(), "http://127.0.0.1:8080/v1");
/// ```
#[must_use]
pub struct ClientBuilder {
    servers: Vec<(&'static str, String)>,
    credentials: Credentials,
    headers: Vec<(&'static str, String)>,
    user_agent: String,
    connect_timeout: Duration,
    timeouts: Timeouts,
    retry: RetryPolicy,
    max_body_bytes: usize,
    request_id_headers: &'static [&'static str],
    token_policy: TokenPolicy,
}

impl fmt::Debug for ClientBuilder {
    /// Header values may be secrets: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("ClientBuilder")
            .field("servers", &shown_servers(&self.servers))
            .field("credentials", &self.credentials)
            .field("headers", &header_names)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("token_policy", &self.token_policy)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            credentials: Credentials::None,
            headers: Vec::new(),
            user_agent: concat!("auth-core/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_id_headers: DEFAULT_REQUEST_ID_HEADERS,
            token_policy: TokenPolicy::default(),
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
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .redirect(same_origin_redirects());
        let http = http
            .build()
            .map_err(|err| Error::Config(format!("cannot build the HTTP client: {err}")))?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                servers,
                max_body_bytes: self.max_body_bytes,
                request_id_headers: self.request_id_headers,
                token_policy: self.token_policy,
            }),
            credentials: Arc::new(self.credentials),
            retry: self.retry,
            timeouts: self.timeouts,
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
