//! The `redis` feature: [`RedisTokenStore`], tokens shared by processes on many machines, with a
//! refresh lock that expires so that one process refreshes while the others wait for its token.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use redis::aio::MultiplexedConnection;

use crate::secret::redact;
use crate::token::{StoreFuture, StoredToken, TokenStore, TokenStoreError};

/// Releases a lock only for the holder that took it (a holder whose lock expired must not
/// release the next holder's).
const UNLOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// Tokens kept in Redis, shared by every process that uses the same server and prefix: a fleet
/// of services, CLIs or replicas on one credential makes one token request per token lifetime.
///
/// - The token of a key is one JSON value at `<prefix>token:<key>`, set to expire with the
///   access token (an entry with a refresh token lives on: the refresh token outlasts the access
///   token by a time the vendor does not say, unless [`RedisTokenStore::refresh_token_ttl`]
///   says it). The refresh lock is at `<prefix>lock:<key>`, taken with `SET NX PX` for
///   [`LOCK_TTL`](crate::LOCK_TTL), and released only by its holder.
/// - The connection is opened on first use and multiplexed. When it breaks (a Redis restart, a
///   failover, a dropped connection) the next use connects again; while the server cannot be
///   reached, attempts are spaced by a back-off from 100 ms doubling up to 30 s, and each use
///   meanwhile fails at once with [`TokenStoreError::Unreachable`]. Connecting and every
///   command are bounded by [`RedisTokenStore::timeout`] (2 s unless told otherwise).
/// - A failing store never fails a call: [`Stored`](crate::Stored) then gets the token from its
///   provider, and reports the failure (see [`TokenSource::store_failure`](crate::TokenSource::store_failure)).
/// - Secrets are stored as they are: protect the server (password, TLS, network) as you would
///   the credentials themselves. Errors and `Debug` show the URL without its user-info.
///
/// ```
/// use auth_core::{RedisTokenStore, TokenProvider};
/// # fn provider() -> impl TokenProvider { || -> auth_core::FetchFuture<'static> { unimplemented!() } }
///
/// let store = RedisTokenStore::new("redis://tokens.internal:6379/0")?;
/// let provider = provider().stored_in(store, "emnify:application");
/// # Ok::<(), auth_core::TokenStoreError>(())
/// ```
///
/// Needs the feature `redis`.
pub struct RedisTokenStore {
    client: redis::Client,
    shown_url: String,
    prefix: String,
    holder: String,
    timeout: Duration,
    refresh_token_ttl: Option<Duration>,
    link: Mutex<Link>,
}

/// The connection, and when to try again after failing to make one.
#[derive(Default)]
struct Link {
    /// The connection in use, with its number (so that a failure on an old one does not drop
    /// its successor).
    connection: Option<(u64, MultiplexedConnection)>,
    /// How many connections have been made.
    made: u64,
    /// Failed attempts to connect in a row.
    failures: u32,
    /// No new attempt before then.
    retry_at: Option<Instant>,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("url", &self.shown_url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

static HOLDERS: AtomicU64 = AtomicU64::new(0);

/// The first wait after a failed connection attempt; it doubles up to [`MAX_RECONNECT_BACKOFF`].
const RECONNECT_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two connection attempts to a server that cannot be reached.
const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(30);

/// How long connecting, and each command, may take unless told otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisTokenStore {
    /// A store on the Redis server at `url` (`redis://[user:password@]host:port/db`), with keys
    /// under the prefix `auth-client:`. Nothing is connected until the first use.
    pub fn new(url: &str) -> Result<Self, TokenStoreError> {
        let shown_url = redact::url(url);
        let client = redis::Client::open(url).map_err(|error| TokenStoreError::Unreadable {
            place: shown_url.clone(),
            reason: format!("not a Redis URL ({})", error.category()),
        })?;
        let n = HOLDERS.fetch_add(1, Ordering::Relaxed);
        let holder = format!(
            "{}-{n}-{:016x}",
            std::process::id(),
            RandomState::new().hash_one(n)
        );
        Ok(Self {
            client,
            shown_url,
            prefix: "auth-client:".to_owned(),
            holder,
            timeout: DEFAULT_TIMEOUT,
            refresh_token_ttl: None,
            link: Mutex::new(Link::default()),
        })
    }

    /// The same store with its keys under `prefix` (several fleets on one server, say).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long connecting, and each command, may take (default 2 s): a server that stalls
    /// costs a token request no more than that per store operation.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long an entry that holds a refresh token lives past its access token's expiry (by
    /// default it has no expiry: the vendor does not say how long a refresh token lasts).
    #[must_use]
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_token_ttl = Some(ttl);
        self
    }

    fn token_key(&self, key: &str) -> String {
        format!("{}token:{key}", self.prefix)
    }

    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }

    fn link(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unreachable(&self, reason: String) -> TokenStoreError {
        TokenStoreError::Unreachable {
            place: self.shown_url.clone(),
            reason,
        }
    }

    /// The connection in use, or a new one; while the server cannot be reached, an error at
    /// once until the back-off has passed.
    async fn connection(&self) -> Result<(u64, MultiplexedConnection), TokenStoreError> {
        {
            let link = self.link();
            if let Some(connection) = &link.connection {
                return Ok(connection.clone());
            }
            if let Some(at) = link.retry_at {
                let now = Instant::now();
                if now < at {
                    return Err(self.unreachable(format!(
                        "not reachable; next attempt in {} ms",
                        at.duration_since(now).as_millis()
                    )));
                }
            }
        }
        // Concurrent callers may connect at once; the last connection made is kept, and the
        // others are dropped when their commands finish.
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let made = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await;
        let mut link = self.link();
        match made {
            Ok(connection) => {
                link.made += 1;
                let id = link.made;
                link.connection = Some((id, connection.clone()));
                link.failures = 0;
                link.retry_at = None;
                Ok((id, connection))
            }
            Err(error) => {
                link.failures = link.failures.saturating_add(1);
                let wait =
                    crate::retry::backoff(RECONNECT_BACKOFF, MAX_RECONNECT_BACKOFF, link.failures);
                let now = Instant::now();
                link.retry_at = now.checked_add(wait);
                Err(self.unreachable(format!("Redis: {}", error.category())))
            }
        }
    }

    /// Runs `command` on the connection; a failure that leaves the connection unusable drops
    /// it, so that the next use connects again.
    async fn query<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
        write: bool,
    ) -> Result<T, TokenStoreError> {
        let (id, mut connection) = self.connection().await?;
        match command.query_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(error) => {
                let broken = error.is_unrecoverable_error()
                    || error.is_connection_dropped()
                    || error.is_io_error()
                    || error.is_timeout();
                let reason = format!("Redis: {}", error.category());
                if broken {
                    let mut link = self.link();
                    if link
                        .connection
                        .as_ref()
                        .is_some_and(|(held, _)| *held == id)
                    {
                        link.connection = None;
                    }
                    return Err(self.unreachable(reason));
                }
                let place = self.shown_url.clone();
                Err(if write {
                    TokenStoreError::Unwritable { place, reason }
                } else {
                    TokenStoreError::Unreadable { place, reason }
                })
            }
        }
    }

    /// How long the entry of `token` lives: until its access token expires, or longer with a
    /// refresh token (`None`: no expiry).
    fn ttl_of(&self, token: &StoredToken) -> Option<Duration> {
        let left = token.expires_in()?;
        if token.refresh_token.is_some() {
            return self.refresh_token_ttl.map(|ttl| left.saturating_add(ttl));
        }
        Some(left)
    }
}

/// `duration` in whole milliseconds for `PX`: at least 1 (Redis refuses 0), at most what Redis
/// takes.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, i64::MAX as u64 / 2)
}

impl TokenStore for RedisTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let value: Option<Vec<u8>> = self
                .query(redis::cmd("GET").arg(self.token_key(key)), false)
                .await?;
            let Some(value) = value else {
                return Ok(None);
            };
            serde_json::from_slice(&value)
                .map(Some)
                .map_err(|error| TokenStoreError::Corrupt {
                    place: format!("{} key {}", self.shown_url, self.token_key(key)),
                    reason: format!("not a stored token ({:?} error)", error.classify()),
                })
        })
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let value = serde_json::to_vec(token).map_err(|error| TokenStoreError::Unwritable {
                place: self.shown_url.clone(),
                reason: error.to_string(),
            })?;
            let mut command = redis::cmd("SET");
            command.arg(self.token_key(key)).arg(value);
            if let Some(ttl) = self.ttl_of(token) {
                command.arg("PX").arg(millis(ttl));
            }
            self.query::<()>(&command, true).await
        })
    }

    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.query::<()>(redis::cmd("DEL").arg(self.token_key(key)), true)
                .await
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let taken: Option<String> = self
                .query(
                    redis::cmd("SET")
                        .arg(self.lock_key(key))
                        .arg(&self.holder)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(ttl)),
                    true,
                )
                .await?;
            Ok(taken.is_some())
        })
    }

    fn unlock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.query::<()>(
                redis::cmd("EVAL")
                    .arg(UNLOCK)
                    .arg(1)
                    .arg(self.lock_key(key))
                    .arg(&self.holder),
                true,
            )
            .await
        })
    }
}
