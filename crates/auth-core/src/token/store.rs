//! Tokens that survive restarts: the [`TokenStore`] trait, the form a token is kept in
//! ([`StoredToken`], expiry as wall-clock time), the in-memory store, and [`Stored`], the
//! provider adapter that loads before the first token request and saves every new token.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::token::{FetchFuture, Token, TokenProvider};

/// The future a [`TokenStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenStoreError>> + Send + 'a>>;

/// Where tokens are kept across restarts, one entry per credential key.
///
/// Implementations: [`MemoryTokenStore`] (one process), [`FileTokenStore`](crate::FileTokenStore)
/// (one JSON file per key, 0600, written atomically). Errors never carry a stored secret.
pub trait TokenStore: Send + Sync {
    /// The token stored under `key`, if any.
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>>;
    /// Stores `token` under `key`, replacing what was there.
    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()>;
    /// Forgets the token under `key` (nothing stored is no error).
    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// Takes the refresh lock of `key` for at most `ttl`: `true` when the caller may refresh,
    /// `false` when another holder (another process) is refreshing, whose token the caller then
    /// waits for in the store. A holder that crashes blocks the others for `ttl` at most. Stores
    /// of one machine need no lock (the default: always `true`).
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        let _ = (key, ttl);
        Box::pin(std::future::ready(Ok(true)))
    }

    /// Releases the refresh lock of `key` taken with [`TokenStore::try_lock`] (the default:
    /// nothing to release).
    fn unlock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let _ = key;
        Box::pin(std::future::ready(Ok(())))
    }
}

impl<S: TokenStore + ?Sized> TokenStore for Arc<S> {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        (**self).load(key)
    }
    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        (**self).save(key, token)
    }
    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).clear(key)
    }
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        (**self).try_lock(key, ttl)
    }
    fn unlock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).unlock(key)
    }
}

/// A token as a store keeps it: the secrets, and the expiry as wall-clock time (Unix seconds),
/// re-anchored to the monotonic clock when loaded. `Debug` shows no secret.
#[derive(Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredToken {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token to try before a full login, if the provider had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in seconds since the Unix epoch (`None`: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The client identifier the vendor tied the token to, for vendors that do (Plex's
    /// `X-Plex-Client-Identifier`): a restored token is sent with it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_identifier: Option<String>,
    /// When the access token arrived, in seconds since the Unix epoch (`None`: unknown, as in
    /// entries written before it was kept). With `expires_at` it gives the token's lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<u64>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("client_identifier", &self.client_identifier)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl StoredToken {
    /// `token` as a store keeps it, its expiry turned into wall-clock time.
    pub fn of(token: &Token) -> Self {
        let now = unix_now();
        Self {
            access_token: token.secret().clone(),
            refresh_token: token.refresh_token().cloned(),
            expires_at: token
                .expires_in()
                .map(|left| now.saturating_add(left.as_secs())),
            client_identifier: None,
            issued_at: Some(now.saturating_sub(token.age().as_secs())),
        }
    }

    /// How long the access token lived when it arrived, when both instants are known.
    pub fn lifetime(&self) -> Option<Duration> {
        let lifetime = self.expires_at?.checked_sub(self.issued_at?)?;
        Some(Duration::from_secs(lifetime))
    }

    /// How long the access token has left now by the wall clock (zero once expired), when its
    /// expiry is known.
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_at
            .map(|at| Duration::from_secs(at.saturating_sub(unix_now())))
    }

    /// The same, tied to `client_identifier`.
    #[must_use]
    pub fn with_client_identifier(mut self, client_identifier: impl Into<String>) -> Self {
        self.client_identifier = Some(client_identifier.into());
        self
    }

    /// The access token as a [`Token`] whose lifetime is what is left of it now; `None` when it
    /// has expired (or expires within `margin`).
    pub fn to_token(&self, margin: Duration) -> Option<Token> {
        let token = match self.expires_at {
            None => Token::new(self.access_token.clone()),
            Some(at) => {
                let left = at.checked_sub(unix_now())?;
                if left <= margin.as_secs() {
                    return None;
                }
                Token::expiring_in(self.access_token.clone(), Duration::from_secs(left))
            }
        };
        Some(match &self.refresh_token {
            Some(refresh) => token.with_refresh_token(refresh.clone()),
            None => token,
        })
    }
}

/// Why a store could not load, save or clear a token. It names the place (a file path, say)
/// and the reason, never a stored value.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TokenStoreError {
    /// The store's server could not be reached, or its connection broke (the store connects
    /// again by itself, with a bounded back-off).
    #[error("the token store at {place} is unreachable: {reason}")]
    Unreachable {
        /// Where.
        place: String,
        /// Why.
        reason: String,
    },
    /// What is stored could not be read (permissions, I/O).
    #[error("cannot read the token store at {place}: {reason}")]
    Unreadable {
        /// Where.
        place: String,
        /// Why.
        reason: String,
    },
    /// What is stored is not a token (a truncated or hand-edited file, say).
    #[error("the token store at {place} holds no valid token: {reason}")]
    Corrupt {
        /// Where.
        place: String,
        /// Why (without the stored text).
        reason: String,
    },
    /// The token could not be written or removed.
    #[error("cannot write the token store at {place}: {reason}")]
    Unwritable {
        /// Where.
        place: String,
        /// Why.
        reason: String,
    },
}

/// Tokens kept in this process's memory: shared by every token source given the same store
/// (a clone shares it too), gone when the process ends.
#[derive(Clone, Default)]
pub struct MemoryTokenStore {
    tokens: Arc<Mutex<HashMap<String, StoredToken>>>,
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("MemoryTokenStore")
            .field("keys", &keys)
            .finish()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        Box::pin(std::future::ready(Ok(token)))
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), token.clone());
        Box::pin(std::future::ready(Ok(())))
    }

    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// A [`TokenProvider`] whose tokens are kept in a [`TokenStore`]; made with
/// [`TokenProvider::stored_in`].
///
/// - Before every token request it looks in the store: a token there that is valid (by the
///   wall clock, for more than a minute) and is not the one it handed out last is used as it
///   is, without a request (a restart, or another process that refreshed first). A stored
///   refresh token is handed to the provider ([`TokenProvider::resume`]), so that it is tried
///   before a full login and a refresh token another process rotated is the one used.
/// - Where the store coordinates processes ([`TokenStore::try_lock`]), one process refreshes
///   while the others wait for the token it saves, each at most [`LOCK_TTL`].
/// - Every token it fetches is saved, with the refresh token the provider will use next.
/// - A store that fails (unreadable, corrupt, unwritable, unreachable) is passed over: the
///   token comes from the provider, and the next save repairs the entry. The failure is kept
///   until the store works again ([`TokenProvider::store_failure`], and so
///   [`TokenSource::store_failure`](crate::TokenSource::store_failure)) and logged as a
///   `tracing` warning with the `tracing` feature, without any stored value.
pub struct Stored<P> {
    provider: P,
    store: Box<dyn TokenStore>,
    key: String,
    /// The access token handed out last: a stored copy of it is no new token.
    last: Mutex<Option<Secret>>,
    /// The store's latest failure, until one of its operations succeeds again.
    failure: Mutex<Option<TokenStoreError>>,
}

impl<P> fmt::Debug for Stored<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stored")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// How long a stored token must still be valid to be used instead of a token request.
const STORED_MARGIN: Duration = Duration::from_secs(60);

/// How long a process holds the refresh lock of a coordinating store at most: a holder that
/// crashed keeps the others waiting no longer.
pub const LOCK_TTL: Duration = Duration::from_secs(10);

/// How often a process waiting for another's refresh looks in the store.
const POLL: Duration = Duration::from_millis(100);

impl<P: TokenProvider> Stored<P> {
    /// `provider` with its tokens kept in `store` under `key`.
    pub fn new(provider: P, store: impl TokenStore + 'static, key: impl Into<String>) -> Self {
        Self {
            provider,
            store: Box::new(store),
            key: key.into(),
            last: Mutex::new(None),
            failure: Mutex::new(None),
        }
    }

    /// What a store operation gave: its value, with its failure recorded (and passed over) or
    /// the record of an earlier one cleared.
    fn kept<T>(&self, result: Result<T, TokenStoreError>) -> Option<T> {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(value) => {
                *failure = None;
                Some(value)
            }
            Err(error) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(%error, key = %self.key, "token store passed over");
                *failure = Some(error);
                None
            }
        }
    }

    /// A usable stored token that is new to this provider; a stored refresh token goes to the
    /// provider.
    async fn stored_token(&self) -> Option<Token> {
        let stored = self.kept(self.store.load(&self.key).await)??;
        let last = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // A token with no more than this left is as good as gone: half its lifetime for a
        // short-lived one, so that a fleet shares tokens of any lifetime.
        let margin = stored
            .lifetime()
            .map_or(STORED_MARGIN, |lifetime| STORED_MARGIN.min(lifetime / 2));
        if last.as_ref() != Some(&stored.access_token)
            && let Some(token) = stored.to_token(margin)
        {
            return Some(token);
        }
        if let Some(refresh) = stored.refresh_token {
            self.provider.resume(refresh);
        }
        None
    }

    /// Takes the store's refresh lock, waiting for another holder's token meanwhile: `Ok(true)`
    /// holding the lock, `Ok(false)` without one (the store failed), `Err(token)` when another
    /// holder's token arrived.
    async fn lock_or_wait(&self) -> Result<bool, Token> {
        loop {
            match self.kept(self.store.try_lock(&self.key, LOCK_TTL).await) {
                Some(true) => return Ok(true),
                Some(false) => {}
                None => return Ok(false),
            }
            tokio::time::sleep(POLL).await;
            if let Some(token) = self.stored_token().await {
                return Err(token);
            }
        }
    }

    fn handed_out(&self, token: Token) -> Token {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.secret().clone());
        token
    }
}

impl<P: TokenProvider> TokenProvider for Stored<P> {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            if let Some(token) = self.stored_token().await {
                return Ok(self.handed_out(token));
            }
            let locked = match self.lock_or_wait().await {
                Ok(locked) => locked,
                Err(token) => return Ok(self.handed_out(token)),
            };
            // Another holder may have saved a token between our look and our lock.
            let stored = if locked {
                self.stored_token().await
            } else {
                None
            };
            let result = match stored {
                Some(token) => Ok(token),
                None => {
                    let fetched = self.provider.fetch().await;
                    if let Ok(token) = &fetched {
                        self.kept(self.store.save(&self.key, &StoredToken::of(token)).await);
                    }
                    fetched
                }
            };
            if locked {
                self.kept(self.store.unlock(&self.key).await);
            }
            result.map(|token| self.handed_out(token))
        })
    }

    fn resume(&self, refresh_token: Secret) {
        self.provider.resume(refresh_token);
    }

    fn store_failure(&self) -> Option<TokenStoreError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
