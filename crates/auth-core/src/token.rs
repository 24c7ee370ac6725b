//! Tokens that expire, and a source that keeps one fresh for every caller.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Error;
use crate::secret::Secret;

/// How long before its expiry a token is refreshed, unless the source says otherwise.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(30);

/// A token and, when known, the instant it expires.
#[derive(Clone, Debug)]
pub struct Token {
    secret: Secret,
    issued_at: Instant,
    expires_at: Option<Instant>,
}

impl Token {
    /// A token whose expiry is unknown (it is used until the server rejects it).
    pub fn new(secret: impl Into<Secret>) -> Self {
        Self {
            secret: secret.into(),
            issued_at: Instant::now(),
            expires_at: None,
        }
    }

    /// A token that expires `lifetime` from now (an OAuth `expires_in`).
    pub fn expiring_in(secret: impl Into<Secret>, lifetime: Duration) -> Self {
        let issued_at = Instant::now();
        Self {
            secret: secret.into(),
            issued_at,
            expires_at: issued_at.checked_add(lifetime),
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
        let issued_at = Instant::now();
        let expires_at = jwt_expiry(secret.expose()).map(|exp| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            let left = Duration::from_secs(exp.saturating_sub(now));
            issued_at.checked_add(left).unwrap_or(issued_at)
        });
        Self {
            secret,
            issued_at,
            expires_at,
        }
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

    /// When a source with `skew` should replace it: `skew` before its expiry, but at most half
    /// its lifetime early, so that a token that lives shorter than the skew is still used.
    /// `None` when its expiry is unknown.
    fn refresh_at(&self, skew: Duration) -> Option<Instant> {
        self.expires_at.map(|at| {
            let early = skew.min(at.saturating_duration_since(self.issued_at) / 2);
            at.checked_sub(early).unwrap_or(self.issued_at)
        })
    }

    fn expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() >= at)
    }
}

/// The `exp` claim of a JWT, read without checking the signature (the server checks it; the
/// client only wants to know when to refresh).
fn jwt_expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload.trim_end_matches('='))?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_u64().or_else(|| exp.as_f64().map(|f| f as u64))
}

/// Decodes unpadded base64url (RFC 4648, section 5), the encoding of a JWT's parts.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= value(c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
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

/// A closure returning a boxed future is a provider too.
impl<F> TokenProvider for F
where
    F: Fn() -> FetchFuture<'static> + Send + Sync,
{
    fn fetch(&self) -> FetchFuture<'_> {
        self()
    }
}

/// The cached token, with the instant from which it is refreshed (worked out once, when stored).
struct Cached {
    token: Arc<Token>,
    refresh_at: Option<Instant>,
}

impl Cached {
    fn fresh(&self) -> bool {
        self.refresh_at.is_none_or(|at| Instant::now() < at)
    }
}

struct Inner {
    provider: Box<dyn TokenProvider>,
    current: RwLock<Option<Cached>>,
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
            .field(
                "expires_in",
                &cached.and_then(|(token, _)| token.expires_in()),
            )
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
        self.store(Arc::new(token));
    }

    fn store(&self, token: Arc<Token>) {
        let refresh_at = token.refresh_at(self.inner.skew);
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Cached { token, refresh_at });
    }

    /// The cached token, and whether it is fresh.
    fn cached(&self) -> Option<(Arc<Token>, bool)> {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .map(|cached| (Arc::clone(&cached.token), cached.fresh()))
    }

    /// A token that is not about to expire: the cached one, or a new one.
    pub async fn token(&self) -> Result<Arc<Token>, Error> {
        let stale = match self.cached() {
            Some((token, true)) => return Ok(token),
            Some((token, false)) => Some(token),
            None => None,
        };
        let _refreshing = self.inner.refresh.lock().await;
        // Whoever held the lock before may have refreshed already: a token other than the stale
        // one we saw is the result of that refresh, and serves us too while it has not expired.
        if let Some((token, fresh)) = self.cached() {
            let replaced = stale
                .as_ref()
                .is_none_or(|stale| !Arc::ptr_eq(stale, &token));
            if fresh || (replaced && !token.expired()) {
                return Ok(token);
            }
        }
        let token = Arc::new(
            self.inner
                .provider
                .fetch()
                .await
                .map_err(Error::TokenRefresh)?,
        );
        self.store(Arc::clone(&token));
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
            .is_some_and(|cached| cached.token.secret == rejected.secret)
        {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Slow {
        fetches: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl TokenProvider for Slow {
        fn fetch(&self) -> FetchFuture<'_> {
            Box::pin(async move {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(Token::expiring_in(format!("token-{n}"), self.lifetime))
            })
        }
    }

    fn source(lifetime: Duration) -> (TokenSource, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let provider = Slow {
            fetches: Arc::clone(&fetches),
            lifetime,
        };
        (TokenSource::new(provider), fetches)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_refresh_serves_a_thousand_waiting_callers() {
        let (source, fetches) = source(Duration::from_secs(3600));
        source.seed(Token::expiring_in("old", Duration::ZERO));
        let callers: Vec<_> = (0..1000)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(
                    async move { source.token().await.unwrap().secret().expose().to_owned() },
                )
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), "token-0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokens_shorter_lived_than_the_skew_do_not_cause_a_refresh_storm() {
        let (source, fetches) = source(Duration::from_secs(10));
        let callers: Vec<_> = (0..100)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await.map(|_| ()) })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_ahead_of_expiry_and_after_invalidation() {
        let (source, fetches) = source(Duration::from_secs(3600));
        // Issued 100 s ago, 20 s left: inside the 30 s skew.
        let now = Instant::now();
        source.seed(Token {
            secret: Secret::new("nearly-expired"),
            issued_at: now - Duration::from_secs(100),
            expires_at: Some(now + Duration::from_secs(20)),
        });
        assert_eq!(source.token().await.unwrap().secret().expose(), "token-0");
        let current = source.token().await.unwrap();
        source.invalidate(&Token::new("some-other-token"));
        assert_eq!(source.token().await.unwrap().secret().expose(), "token-0");
        source.invalidate(&current);
        assert_eq!(source.token().await.unwrap().secret().expose(), "token-1");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn decodes_base64url_like_rfc_4648() {
        for (encoded, decoded) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(
                base64url_decode(encoded).unwrap(),
                decoded.as_bytes(),
                "{encoded}"
            );
        }
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm+v"), None);
    }

    #[test]
    fn reads_the_jwt_expiry() {
        let claims = "eyJleHAiOiAxfQ"; // {"exp": 1}
        assert_eq!(jwt_expiry(&format!("h.{claims}.s")), Some(1));
        assert_eq!(
            Token::from_jwt(format!("h.{claims}.s")).expires_in(),
            Some(Duration::ZERO)
        );
        assert_eq!(jwt_expiry("h.not-base64!.s"), None);
        assert_eq!(jwt_expiry("no-dots"), None);
    }
}
