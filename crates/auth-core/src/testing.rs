//! The ground the vendors' local fakes stand on (the `testing` feature): a small HTTP server on
//! 127.0.0.1 that answers with a [`Handler`], the request and answer types it passes, the one
//! way a fake declares its routes ([`Routes`]) and keeps its state ([`State`]), and what fakes
//! share (issued tokens that expire, random values, unsigned JWTs).
//!
//! The fakes themselves are in the vendor crates' `testing` modules (`emnify_auth::testing`,
//! `dintero_auth::testing`, `plex_auth::testing`): stateful, they issue tokens that really expire,
//! reject missing, wrong and expired tokens, and run the vendor's MFA steps.

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
use std::fmt;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderMap};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A request as a fake sees it.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, still percent-encoded.
    pub path: String,
    /// The decoded query pairs.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The token of an `Authorization: Bearer` header.
    pub fn bearer(&self) -> Option<&str> {
        self.header(AUTHORIZATION.as_str())?.strip_prefix("Bearer ")
    }

    /// The `(user, password)` of an `Authorization: Basic` header.
    pub fn basic(&self) -> Option<(String, String)> {
        let encoded = self
            .header(AUTHORIZATION.as_str())?
            .strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }

    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON (`Null` when it is none).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as form fields.
    pub fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// The decoded path segments.
    pub fn segments(&self) -> Vec<String> {
        decoded_segments(&self.path)
    }
}

/// A fake's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
    /// Further headers (`Retry-After`, a request id, ...).
    pub headers: Vec<(String, String)>,
    /// How long the server waits before it answers.
    pub delay: Duration,
}

impl Reply {
    /// The same answer with the header `name: value` too.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The same answer, sent after `delay`.
    #[must_use]
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// An answer of another media type.
    pub fn text(status: u16, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body: body.into_bytes(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

/// What a fake does with a request.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`.
    fn handle(&self, request: &Request) -> Reply;

    /// Whether `request` asks for a token (a login, a refresh): those fail as
    /// [`Server::fail_token_requests`] says.
    fn is_token_request(&self, request: &Request) -> bool {
        let _ = request;
        false
    }

    /// The pattern of the route that answers `request` ([`Routes::pattern`]), by which the
    /// server counts requests and scripts replies; `None` (the default) counts by path.
    fn route(&self, request: &Request) -> Option<&'static str> {
        let _ = request;
        None
    }
}

/// A fake's state, behind one lock that a panicking handler does not poison for the next
/// request.
#[derive(Debug, Default)]
pub struct State<T>(Mutex<T>);

impl<T> State<T> {
    /// State starting as `value`.
    pub fn new(value: T) -> Self {
        Self(Mutex::new(value))
    }

    /// The state, locked until the guard is dropped.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The values of a route's `{name}` segments for one request, decoded.
#[derive(Debug, Default)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The value of the segment named `name` in the route's pattern (empty when it has none).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// What answers one route of a fake `F`.
type Route<F> = Box<dyn Fn(&F, &Request, &Params) -> Reply + Send + Sync>;

/// Why no route answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No route has this path.
    NotFound,
    /// A route has this path, for other methods.
    MethodNotAllowed,
}

/// A fake's routes, declared one way: a method, a path pattern (`/accounts/{account}/auth/token`,
/// where `{name}` matches one segment and is handed to the route in [`Params`]) and the route.
///
/// ```
/// use auth_core::testing::{Miss, Params, Reply, Request, Routes};
///
/// struct Fake;
/// impl Fake {
///     fn token(&self, _: &Request, params: &Params) -> Reply {
///         Reply::json(200, serde_json::json!({"account": params.get("account")}))
///     }
/// }
///
/// let routes = Routes::new(|_: &Request, miss| Reply::empty(match miss {
///     Miss::NotFound => 404,
///     Miss::MethodNotAllowed => 405,
/// }))
/// .route("POST", "/accounts/{account}/auth/token", Fake::token);
/// assert_eq!(routes.pattern("POST", "/accounts/T1/auth/token"), Some("/accounts/{account}/auth/token"));
/// assert_eq!(routes.pattern("GET", "/accounts/T1/auth/token"), None);
/// ```
pub struct Routes<F> {
    routes: Vec<(&'static str, &'static str, Route<F>)>,
    otherwise: fn(&Request, Miss) -> Reply,
}

impl<F> fmt::Debug for Routes<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.routes
                    .iter()
                    .map(|(method, pattern, _)| (method, pattern)),
            )
            .finish()
    }
}

impl<F> Routes<F> {
    /// No routes yet; a request none matches is answered by `otherwise` (the vendor's 404 and
    /// 405 bodies).
    pub fn new(otherwise: fn(&Request, Miss) -> Reply) -> Self {
        Self {
            routes: Vec::new(),
            otherwise,
        }
    }

    /// Adds the route `method pattern`.
    #[must_use]
    pub fn route(
        mut self,
        method: &'static str,
        pattern: &'static str,
        route: impl Fn(&F, &Request, &Params) -> Reply + Send + Sync + 'static,
    ) -> Self {
        self.routes.push((method, pattern, Box::new(route)));
        self
    }

    /// The pattern of the route that answers `method path`, if one does.
    pub fn pattern(&self, method: &str, path: &str) -> Option<&'static str> {
        self.find(method, path).ok().map(|(pattern, _, _)| pattern)
    }

    /// `fake`'s answer to `request`.
    pub fn answer(&self, fake: &F, request: &Request) -> Reply {
        match self.find(&request.method, &request.path) {
            Ok((_, route, params)) => route(fake, request, &params),
            Err(miss) => (self.otherwise)(request, miss),
        }
    }

    fn find(&self, method: &str, path: &str) -> Result<(&'static str, &Route<F>, Params), Miss> {
        let segments = decoded_segments(path);
        let mut miss = Miss::NotFound;
        for (route_method, pattern, route) in &self.routes {
            let Some(params) = matches(pattern, &segments) else {
                continue;
            };
            if *route_method == method {
                return Ok((pattern, route, params));
            }
            miss = Miss::MethodNotAllowed;
        }
        Err(miss)
    }
}

/// The `{name}` values of `pattern` in `segments`, when it matches them.
fn matches(pattern: &'static str, segments: &[String]) -> Option<Params> {
    let parts: Vec<&'static str> = pattern.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, segment) in parts.into_iter().zip(segments) {
        match part
            .strip_prefix('{')
            .and_then(|name| name.strip_suffix('}'))
        {
            Some(name) => params.push((name, segment.clone())),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(Params(params))
}

/// The decoded segments of `path`.
fn decoded_segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// A request as a server's log keeps it: method and path only (headers, query and body may
/// hold secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, still percent-encoded.
    pub path: String,
}

/// How many requests a scripted reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// The next `n`.
    Next(usize),
    /// Every one, until the script is cleared.
    Always,
}

/// A reply a test put on a route in place of the fake's own.
#[derive(Debug)]
struct Scripted {
    method: String,
    route: String,
    reply: Reply,
    /// `None`: always.
    left: Option<usize>,
}

/// What a server's owner controls while it runs: its log, the requests per route, and the
/// replies and failures to inject.
#[derive(Debug, Default)]
struct Control {
    log: State<Vec<LoggedRequest>>,
    /// Requests per (method, route).
    hits: State<std::collections::HashMap<(String, String), usize>>,
    scripts: State<Vec<Scripted>>,
    /// How many token requests are still to fail, and with which status.
    failing: State<(usize, u16)>,
}

impl Control {
    /// Counts `method route`, and takes the reply scripted for it, if one is.
    fn scripted(&self, method: &str, route: &str) -> Option<Reply> {
        *self
            .hits
            .lock()
            .entry((method.to_owned(), route.to_owned()))
            .or_default() += 1;
        let mut scripts = self.scripts.lock();
        let at = scripts
            .iter()
            .position(|script| script.method == method && script.route == route)?;
        let script = &mut scripts[at];
        let reply = script.reply.clone();
        if let Some(left) = &mut script.left {
            *left -= 1;
            if *left == 0 {
                scripts.remove(at);
            }
        }
        Some(reply)
    }
}

/// A running server; it stops when dropped.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    task: JoinHandle<()>,
    control: Arc<Control>,
}

impl Server {
    /// Serves `handler` on 127.0.0.1 on a free port.
    pub async fn start(handler: Arc<dyn Handler>) -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let control = Arc::new(Control::default());
        let shared = Arc::clone(&control);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = Arc::clone(&handler);
                let control = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let handler = Arc::clone(&handler);
                        let control = Arc::clone(&control);
                        async move {
                            Ok::<_, Infallible>(answer(handler.as_ref(), &control, request).await)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Server {
            address,
            task,
            control,
        })
    }

    /// The server's base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The requests it received so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.control.log.lock().clone()
    }

    /// How many requests `method route` received: `route` is a route's pattern as the fake
    /// declares it (`/accounts/{account}/auth/token`), or the path of a request no route
    /// answers.
    pub fn hits(&self, method: &str, route: &str) -> usize {
        let key = (method.to_owned(), route.to_owned());
        self.control.hits.lock().get(&key).copied().unwrap_or(0)
    }

    /// Answers `method route` (as [`Server::hits`] names it) with `reply`, status, headers,
    /// body and delay, `times` over, in place of the fake's own answer; scripts on one route
    /// answer in the order they were given.
    ///
    /// ```
    /// use auth_core::testing::{Reply, Times};
    /// # async fn run(server: auth_core::testing::Server) {
    /// server.script(
    ///     "GET",
    ///     "/api/v1/user/mfa/type",
    ///     Reply::empty(429).header("retry-after", "2"),
    ///     Times::Next(1),
    /// );
    /// # }
    /// ```
    pub fn script(&self, method: &str, route: &str, reply: Reply, times: Times) {
        let left = match times {
            Times::Next(0) => return,
            Times::Next(n) => Some(n),
            Times::Always => None,
        };
        self.control.scripts.lock().push(Scripted {
            method: method.to_owned(),
            route: route.to_owned(),
            reply,
            left,
        });
    }

    /// Removes every scripted reply: the fake answers on its own again.
    pub fn clear_scripts(&self) {
        self.control.scripts.lock().clear();
    }

    /// Makes the next `count` token requests fail with `status` (and an empty body), as a
    /// vendor's failing or throttled token endpoint would.
    pub fn fail_token_requests(&self, count: usize, status: u16) {
        *self.control.failing.lock() = (count, status);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    handler: &dyn Handler,
    control: &Control,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let request = Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        headers: parts.headers,
        body,
    };
    control.log.lock().push(LoggedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
    });
    let route = handler.route(&request).unwrap_or(request.path.as_str());
    let reply = match control.scripted(&request.method, route) {
        Some(scripted) => scripted,
        None => {
            injected_failure(handler, control, &request).unwrap_or_else(|| handler.handle(&request))
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = hyper::Response::builder().status(reply.status);
    if let Some(content_type) = reply.content_type {
        response = response.header("content-type", content_type);
    }
    for (name, value) in &reply.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|error| {
            // A reply a test wrote that HTTP cannot carry (a header value with a newline, say).
            let mut refused = hyper::Response::new(Full::new(Bytes::from(format!(
                "the fake's reply is no valid HTTP response: {error}"
            ))));
            *refused.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            refused
        })
}

/// The failure [`Server::fail_token_requests`] asked for, when `request` asks for a token and
/// one is still to come.
fn injected_failure(handler: &dyn Handler, control: &Control, request: &Request) -> Option<Reply> {
    if !handler.is_token_request(request) {
        return None;
    }
    let mut failing = control.failing.lock();
    let (remaining, status) = &mut *failing;
    let status = *status;
    remaining.checked_sub(1).map(|left| {
        *remaining = left;
        Reply::empty(status)
    })
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// A fresh value that is hard to guess, as hex: for tokens and codes.
pub fn random_hex() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:016x}{:016x}",
        RandomState::new().hash_one(n),
        RandomState::new().hash_one(n)
    )
}

/// `digits` random decimal digits.
pub fn random_digits(digits: usize) -> String {
    random_hex()
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(digits)
        .collect()
}

/// A random Base32 TOTP secret (160 bits).
pub fn random_base32() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    (random_hex() + &random_hex())
        .bytes()
        .take(32)
        .enumerate()
        .map(|(i, b)| char::from(ALPHABET[(usize::from(b) + i * 7) % 32]))
        .collect()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// An unsigned JWT for `subject` that expires after `lifetime`, with a random id. Its `iat` and
/// `exp` are in the vendor's time: `clock_offset` seconds off ours (negative: behind).
pub fn jwt(subject: &str, lifetime: Duration, clock_offset: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let issued_at = unix_now().saturating_add_signed(clock_offset);
    let claims = serde_json::json!({
        "sub": subject,
        "iat": issued_at,
        "exp": issued_at + lifetime.as_secs(),
        "jti": random_hex(),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.fake")
}

/// Issued tokens with the instant each expires.
#[derive(Debug, Default)]
pub struct Tokens {
    issued: std::collections::HashMap<String, SystemTime>,
}

impl Tokens {
    /// Records `token` as valid for `lifetime`.
    pub fn issue(&mut self, token: String, lifetime: Duration) -> String {
        self.issued
            .insert(token.clone(), SystemTime::now() + lifetime);
        token
    }

    /// Whether `token` was issued and has not expired.
    pub fn valid(&self, token: Option<&str>) -> bool {
        token
            .and_then(|token| self.issued.get(token))
            .is_some_and(|expiry| SystemTime::now() < *expiry)
    }

    /// Makes every issued token expire now.
    pub fn expire_all(&mut self) {
        let now = SystemTime::now();
        self.issued.values_mut().for_each(|expiry| *expiry = now);
    }

    /// Forgets `token`.
    pub fn revoke(&mut self, token: &str) -> bool {
        self.issued.remove(token).is_some()
    }
}
