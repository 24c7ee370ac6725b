//! Tokens that expire, and a source that keeps one fresh for every caller.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Error;
use crate::secret::Secret;

/// How long before its expiry a token is refreshed, unless the source says otherwise.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(30);

/// A token and, when known, the instant it expires.
#[derive(Clone, Debug)]
pub struct Token {
    secret: Secret,
    expires_at: Option<Instant>,
}

impl Token {
    /// A token whose expiry is unknown (it is used until the server rejects it).
    pub fn new(secret: impl Into<Secret>) -> Self {
        Self {
            secret: secret.into(),
            expires_at: None,
        }
    }

    /// A token that expires `lifetime` from now (an OAuth `expires_in`).
    pub fn expiring_in(secret: impl Into<Secret>, lifetime: Duration) -> Self {
        Self {
            secret: secret.into(),
            expires_at: Instant::now().checked_add(lifetime),
        }
    }

    /// A JWT, expiring at its `exp` claim; a token that is no JWT, or has no `exp`, gets no expiry.
    ///
    /// ```
    /// use auth_core::Token;
    ///
    /// // {"alg":"HS256"} . {"exp": 4102444800} (2100-01-01) . signature
    /// let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln";
    /// assert!(Token::from_jwt(jwt).expires_in().unwrap().as_secs() > 365 * 24 * 3600);
    /// assert!(Token::from_jwt("opaque").expires_in().is_none());
    /// ```
    pub fn from_jwt(secret: impl Into<Secret>) -> Self {
        let secret = secret.into();
        let expires_at = jwt_expiry(secret.expose()).map(|exp| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let left = Duration::from_secs(exp.saturating_sub(now));
            Instant::now()
                .checked_add(left)
                .unwrap_or_else(Instant::now)
        });
        Self { secret, expires_at }
    }

    /// The token.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// How long until it expires (zero once it has), when known.
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    fn fresh(&self, skew: Duration) -> bool {
        self.expires_at.is_none_or(|at| Instant::now() + skew < at)
    }
}

/// The `exp` claim of a JWT, read without checking the signature (the server checks it; the
/// client only wants to know when to refresh).
fn jwt_expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_u64().or_else(|| exp.as_f64().map(|f| f as u64))
}

/// The future a [`TokenProvider`] returns.
pub type FetchFuture<'a> = Pin<
    Box<dyn Future<Output = Result<Token, Box<dyn std::error::Error + Send + Sync>>> + Send + 'a>,
>;

/// Gets a new token: logs in again, or trades a refresh token.
pub trait TokenProvider: Send + Sync {
    /// Fetches a fresh token.
    fn fetch(&self) -> FetchFuture<'_>;
}

struct Inner {
    provider: Box<dyn TokenProvider>,
    current: RwLock<Option<Arc<Token>>>,
    refresh: tokio::sync::Mutex<()>,
    skew: Duration,
}

/// Caches a token and refreshes it through its [`TokenProvider`] shortly before it expires.
///
/// However many tasks ask at once for a token that has expired, one refresh runs and all of
/// them get its result. Cloning is cheap: clones share the cache.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use auth_core::{FetchFuture, Token, TokenProvider, TokenSource};
///
/// struct Counter(AtomicU32);
///
/// impl TokenProvider for Counter {
///     fn fetch(&self) -> FetchFuture<'_> {
///         let n = self.0.fetch_add(1, Ordering::SeqCst);
///         Box::pin(async move { Ok(Token::expiring_in(format!("token-{n}"), Duration::from_secs(3600))) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let source = TokenSource::new(Counter(AtomicU32::new(0)));
/// assert_eq!(source.token().await.unwrap().secret().expose(), "token-0");
/// assert_eq!(source.token().await.unwrap().secret().expose(), "token-0"); // cached
/// # }
/// ```
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cached();
        f.debug_struct("TokenSource")
            .field("cached", &cached.is_some())
            .field("expires_in", &cached.and_then(|t| t.expires_in()))
            .field("skew", &self.inner.skew)
            .finish()
    }
}

impl TokenSource {
    /// A source with no token yet; the first call fetches one.
    pub fn new(provider: impl TokenProvider + 'static) -> Self {
        Self::with_skew(provider, DEFAULT_REFRESH_SKEW)
    }

    /// A source that refreshes `skew` before a token's expiry.
    pub fn with_skew(provider: impl TokenProvider + 'static, skew: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider: Box::new(provider),
                current: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
                skew,
            }),
        }
    }

    /// Starts the cache with a token already in hand (from a login, say).
    pub fn seed(&self, token: Token) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(token));
    }

    fn cached(&self) -> Option<Arc<Token>> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A token that is not about to expire: the cached one, or a new one.
    pub async fn token(&self) -> Result<Arc<Token>, Error> {
        if let Some(token) = self.cached().filter(|t| t.fresh(self.inner.skew)) {
            return Ok(token);
        }
        let _refreshing = self.inner.refresh.lock().await;
        // Whoever held the lock before may have refreshed already.
        if let Some(token) = self.cached().filter(|t| t.fresh(self.inner.skew)) {
            return Ok(token);
        }
        let token = Arc::new(
            self.inner
                .provider
                .fetch()
                .await
                .map_err(Error::TokenRefresh)?,
        );
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&token));
        Ok(token)
    }

    /// Forgets `rejected` (a token the server answered 401 to), so that the next call refreshes;
    /// a token that has been replaced meanwhile is kept.
    pub fn invalidate(&self, rejected: &Token) {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_some_and(|token| token.secret == rejected.secret)
        {
            *current = None;
        }
    }
}
