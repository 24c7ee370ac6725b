//! The `redis` feature: [`RedisTokenStore`], tokens shared by processes on many machines, with a
//! refresh lock that expires so that one process refreshes while the others wait for its token.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::OnceCell;

use crate::redact;
use crate::token_store::{StoreFuture, StoredToken, TokenStore, TokenStoreError};

/// Releases a lock only for the holder that took it (a holder whose lock expired must not
/// release the next holder's).
const UNLOCK: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// Tokens kept in Redis, shared by every process that uses the same server and prefix: a fleet
/// of services, CLIs or replicas on one credential makes one token request per token lifetime.
///
/// - The token of a key is one JSON value at `<prefix>token:<key>`; the refresh lock is at
///   `<prefix>lock:<key>`, taken with `SET NX PX` for [`LOCK_TTL`](crate::LOCK_TTL), and released
///   only by its holder.
/// - The connection is opened on first use and multiplexed; a server that cannot be reached is a
///   [`TokenStoreError`] (and [`Stored`](crate::Stored) then goes on without the store).
/// - Secrets are stored as they are: protect the server (password, TLS, network) as you would
///   the credentials themselves. Errors and `Debug` show the URL without its user-info.
///
/// ```no_run
/// use auth_core::{RedisTokenStore, TokenProvider};
/// # fn provider() -> impl TokenProvider { || -> auth_core::FetchFuture<'static> { unimplemented!() } }
///
/// let store = RedisTokenStore::new("redis://tokens.internal:6379/0")?;
/// let provider = provider().stored_in(store, "emnify:application");
/// # Ok::<(), auth_core::TokenStoreError>(())
/// ```
pub struct RedisTokenStore {
    client: redis::Client,
    shown_url: String,
    prefix: String,
    holder: String,
    connection: OnceCell<MultiplexedConnection>,
}

impl std::fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("url", &self.shown_url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

static HOLDERS: AtomicU64 = AtomicU64::new(0);

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
            connection: OnceCell::new(),
        })
    }

    /// The same store with its keys under `prefix` (several fleets on one server, say).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn token_key(&self, key: &str) -> String {
        format!("{}token:{key}", self.prefix)
    }

    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }

    fn failed(&self, write: bool) -> impl Fn(redis::RedisError) -> TokenStoreError + '_ {
        move |error| {
            let place = self.shown_url.clone();
            let reason = format!("Redis: {}", error.category());
            if write {
                TokenStoreError::Unwritable { place, reason }
            } else {
                TokenStoreError::Unreadable { place, reason }
            }
        }
    }

    async fn connection(&self) -> Result<MultiplexedConnection, TokenStoreError> {
        self.connection
            .get_or_try_init(|| self.client.get_multiplexed_async_connection())
            .await
            .cloned()
            .map_err(self.failed(false))
    }
}

impl TokenStore for RedisTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let value: Option<Vec<u8>> = redis::cmd("GET")
                .arg(self.token_key(key))
                .query_async(&mut connection)
                .await
                .map_err(self.failed(false))?;
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
            let mut connection = self.connection().await?;
            redis::cmd("SET")
                .arg(self.token_key(key))
                .arg(value)
                .query_async::<()>(&mut connection)
                .await
                .map_err(self.failed(true))
        })
    }

    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            redis::cmd("DEL")
                .arg(self.token_key(key))
                .query_async::<()>(&mut connection)
                .await
                .map_err(self.failed(true))
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let taken: Option<String> = redis::cmd("SET")
                .arg(self.lock_key(key))
                .arg(&self.holder)
                .arg("NX")
                .arg("PX")
                .arg(millis)
                .query_async(&mut connection)
                .await
                .map_err(self.failed(true))?;
            Ok(taken.is_some())
        })
    }

    fn unlock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            redis::cmd("EVAL")
                .arg(UNLOCK)
                .arg(1)
                .arg(self.lock_key(key))
                .arg(&self.holder)
                .query_async::<()>(&mut connection)
                .await
                .map_err(self.failed(true))
        })
    }
}
