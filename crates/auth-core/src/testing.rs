//! The ground the vendors' local fakes stand on (the `testing` feature): a small HTTP server on
//! 127.0.0.1 that answers with a [`Handler`], the request and answer types it passes, and what
//! fakes share (issued tokens that expire, random values, unsigned JWTs).
//!
//! The fakes themselves are in the vendor crates' `testing` modules (`emnify_auth::testing`,
//! `dintero_auth::testing`, `plex_auth::testing`): stateful, they issue tokens that really expire,
//! reject missing, wrong and expired tokens, and run the vendor's MFA steps.

use std::collections::hash_map::RandomState;
use std::convert::Infallible;
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
        self.path
            .trim_start_matches('/')
            .split('/')
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect()
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
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
        }
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
        }
    }

    /// An answer of another media type.
    pub fn text(status: u16, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            content_type: Some(content_type),
            body: body.into_bytes(),
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

/// What a server's owner controls while it runs: its log, and the failures to inject.
#[derive(Debug, Default)]
struct Control {
    log: Mutex<Vec<LoggedRequest>>,
    /// How many token requests are still to fail, and with which status.
    failing: Mutex<(usize, u16)>,
}

impl Control {
    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
        Control::lock(&self.control.log).clone()
    }

    /// Makes the next `count` token requests fail with `status` (and an empty body), as a
    /// vendor's failing or throttled token endpoint would.
    pub fn fail_token_requests(&self, count: usize, status: u16) {
        *Control::lock(&self.control.failing) = (count, status);
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
    Control::lock(&control.log).push(LoggedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
    });
    let injected = handler.is_token_request(&request).then(|| {
        let mut failing = Control::lock(&control.failing);
        let (remaining, status) = &mut *failing;
        let status = *status;
        remaining.checked_sub(1).map(|left| {
            *remaining = left;
            Reply::empty(status)
        })
    });
    let reply = injected
        .flatten()
        .unwrap_or_else(|| handler.handle(&request));
    let mut response = hyper::Response::builder().status(reply.status);
    if let Some(content_type) = reply.content_type {
        response = response.header("content-type", content_type);
    }
    response
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
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
