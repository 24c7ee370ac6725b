//! `RedisTokenStore` against a real `redis-server` the test starts on 127.0.0.1: a fleet shares
//! one token and one refresh, also after Redis restarts; entries expire with their token; a
//! crashed lock holder blocks no one for long, and an unreachable server is passed over and
//! reported. Needs `redis-server` on the PATH (`.ci/run` installs it); without
//! it the tests say so and pass, except under CI, where they fail.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::{
    Credentials, RedisTokenStore, StoredToken, Token, TokenProvider, TokenStore, TokenStoreError,
};
use emnify_auth::ApplicationToken;
use workspace_tests::emnify;
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};

/// A `redis-server` of this test, stopped when dropped.
struct RedisServer {
    child: Child,
    port: u16,
    url: String,
}

impl RedisServer {
    /// Stops the server and starts a new one on the same port (with nothing stored: no
    /// persistence), as a restart or a failover to an empty replica does.
    async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_redis(self.port).expect("redis-server starts again");
        wait_for_port(self.port).await;
    }
}

fn spawn_redis(port: u16) -> std::io::Result<Child> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

async fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "redis-server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on 127.0.0.1")
}

/// Starts `redis-server` on a free port, without persistence; `None` (with a message) when it
/// is not installed, outside CI.
async fn redis_server() -> Option<RedisServer> {
    let port = free_port();
    let child = match spawn_redis(port) {
        Ok(child) => child,
        Err(error) => {
            let message = format!(
                "redis-server could not be started ({error}): install it (Debian: apt-get install redis-server)"
            );
            assert!(std::env::var_os("CI").is_none(), "{message}");
            eprintln!("skipped: {message}");
            return None;
        }
    };
    let server = RedisServer {
        child,
        port,
        url: format!("redis://127.0.0.1:{port}/0"),
    };
    wait_for_port(port).await;
    Some(server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_processes_starting_together_make_one_token_request() {
    let Some(redis) = redis_server().await else {
        return;
    };
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(50));
    let processes: Vec<_> = (0..50)
        .map(|_| {
            // Each "process": its own client, token source and Redis connection.
            let base = emnify(&server.url(), Credentials::None);
            let store = RedisTokenStore::new(&redis.url).unwrap();
            let provider = ApplicationToken::new(&base, config.application_token.clone())
                .stored_in(store, "emnify:application");
            let client = base.with_token_provider(provider);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                client.bearer_token().await.unwrap()
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for process in processes {
        tokens.push(process.await.unwrap());
    }
    assert_eq!(fake.logins(), 1, "one token request for the fleet");
    assert!(tokens.iter().all(|token| *token == tokens[0]));

    // The baseline, in the same run: the same fleet without a shared store.
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let processes: Vec<_> = (0..50)
        .map(|_| {
            let base = emnify(&server.url(), Credentials::None);
            let provider = ApplicationToken::new(&base, config.application_token.clone());
            let client = base.with_token_provider(provider);
            tokio::spawn(async move { client.bearer_token().await.unwrap() })
        })
        .collect();
    for process in processes {
        process.await.unwrap();
    }
    assert_eq!(fake.logins(), 50, "each process alone logs in");
}

#[tokio::test]
async fn a_crashed_lock_holder_blocks_no_one_for_long() {
    let Some(redis) = redis_server().await else {
        return;
    };
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    // A process took the refresh lock and died: it never releases it.
    let crashed = RedisTokenStore::new(&redis.url).unwrap();
    assert!(
        crashed
            .try_lock("emnify:application", Duration::from_secs(1))
            .await
            .unwrap()
    );

    let began = Instant::now();
    let base = emnify(&server.url(), Credentials::None);
    let provider = ApplicationToken::new(&base, config.application_token.clone()).stored_in(
        RedisTokenStore::new(&redis.url).unwrap(),
        "emnify:application",
    );
    base.with_token_provider(provider)
        .bearer_token()
        .await
        .unwrap();
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "waited for the lock: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "not for long: {waited:?}");
    assert_eq!(fake.logins(), 1);
}

#[tokio::test]
async fn tokens_round_trip_and_a_lock_belongs_to_its_holder() {
    let Some(redis) = redis_server().await else {
        return;
    };
    let store = RedisTokenStore::new(&redis.url)
        .unwrap()
        .with_prefix("test:");
    let token = Token::expiring_in("secret-access", Duration::from_secs(600))
        .with_refresh_token("secret-refresh");
    store.save("k", &StoredToken::of(&token)).await.unwrap();
    let loaded = store.load("k").await.unwrap().unwrap();
    assert_eq!(loaded.access_token.expose(), "secret-access");
    assert_eq!(loaded.refresh_token.unwrap().expose(), "secret-refresh");
    store.clear("k").await.unwrap();
    assert!(store.load("k").await.unwrap().is_none());

    // Two holders: the second cannot take a lock the first holds, nor release it.
    let other = RedisTokenStore::new(&redis.url)
        .unwrap()
        .with_prefix("test:");
    assert!(store.try_lock("k", Duration::from_secs(30)).await.unwrap());
    assert!(!other.try_lock("k", Duration::from_secs(30)).await.unwrap());
    other.unlock("k").await.unwrap();
    assert!(!other.try_lock("k", Duration::from_secs(30)).await.unwrap());
    store.unlock("k").await.unwrap();
    assert!(other.try_lock("k", Duration::from_secs(30)).await.unwrap());
}

#[tokio::test]
async fn an_unreachable_server_is_passed_over_and_shows_no_password() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let url = format!("redis://:hunter2@127.0.0.1:{}/0", free_port());
    let store = RedisTokenStore::new(&url).unwrap();
    let error = store.load("k").await.unwrap_err();
    assert!(
        matches!(error, TokenStoreError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(!format!("{store:?}").contains("hunter2"));
    // Within the back-off, the next use fails at once, without another attempt to connect.
    let again = store.load("k").await.unwrap_err();
    assert!(again.to_string().contains("next attempt in"), "{again}");

    let base = emnify(&server.url(), Credentials::None);
    let provider =
        ApplicationToken::new(&base, config.application_token.clone()).stored_in(store, "k");
    let client = base.with_token_provider(provider);
    client.bearer_token().await.unwrap();
    assert_eq!(fake.logins(), 1);
    // The call got its token; the failure is reported to the token source.
    let auth_core::Credentials::BearerSource(source) = client.core().credentials() else {
        panic!("a token source");
    };
    let failure = source
        .store_failure()
        .expect("the store's failure is reported");
    assert!(
        matches!(failure, TokenStoreError::Unreachable { .. }),
        "{failure:?}"
    );
    assert!(!failure.to_string().contains("hunter2"), "{failure}");
}

/// The token source of an emnify client.
fn source_of(client: &emnify_auth::Client) -> auth_core::TokenSource {
    match client.core().credentials() {
        Credentials::BearerSource(source) => source.clone(),
        other => panic!("a token source, not {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_restarts_the_fleet_shares_one_refresh_again() {
    let Some(mut redis) = redis_server().await else {
        return;
    };
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let fleet: Vec<emnify_auth::Client> = (0..5)
        .map(|_| {
            let base = emnify(&server.url(), Credentials::None);
            let provider = ApplicationToken::new(&base, config.application_token.clone())
                .stored_in(
                    RedisTokenStore::new(&redis.url).unwrap(),
                    "emnify:application",
                );
            base.with_token_provider(provider)
        })
        .collect();
    let call_all = |fleet: &[emnify_auth::Client]| {
        let calls: Vec<_> = fleet
            .iter()
            .cloned()
            .map(|client| {
                tokio::spawn(async move {
                    client
                        .request(auth_core::Method::GET, "/api/v1/endpoint")
                        .send()
                        .await
                        .unwrap()
                        .status()
                })
            })
            .collect();
        async move {
            for call in calls {
                assert_eq!(call.await.unwrap(), 200);
            }
        }
    };
    call_all(&fleet).await;
    assert_eq!(fake.logins(), 1, "one token request for the fleet");

    // Redis restarts empty: every process's connection is dead. The next refresh (the vendor
    // rejects the token) reconnects, and the fleet shares one token request again.
    redis.restart().await;
    fake.expire_auth_tokens();
    call_all(&fleet).await;
    assert_eq!(fake.logins(), 2, "one more token request after the restart");
    for client in &fleet {
        assert!(source_of(client).store_failure().is_none(), "recovered");
    }
    let shared = fleet[0].core().bearer_token().await.unwrap();
    for client in &fleet {
        assert_eq!(client.core().bearer_token().await.unwrap(), shared);
    }

    // The refreshed token reached Redis, and its entry expires with it.
    let store = RedisTokenStore::new(&redis.url).unwrap();
    let stored = store.load("emnify:application").await.unwrap().unwrap();
    assert_eq!(stored.access_token, shared);
    let mut connection = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg("auth-client:token:emnify:application")
        .query_async(&mut connection)
        .await
        .unwrap();
    let lifetime = config.token_lifetime.as_millis() as i64;
    assert!(
        ttl > lifetime - 5_000 && ttl <= lifetime,
        "expires with the token: {ttl} ms of {lifetime}"
    );
}

#[tokio::test]
async fn an_entry_with_a_refresh_token_outlives_its_access_token_as_told() {
    let Some(redis) = redis_server().await else {
        return;
    };
    let store = RedisTokenStore::new(&redis.url)
        .unwrap()
        .with_prefix("ttl:")
        .refresh_token_ttl(Duration::from_secs(3600));
    let connection = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let pttl = |key: &'static str| {
        let mut connection = connection.clone();
        async move {
            redis::cmd("PTTL")
                .arg(key)
                .query_async::<i64>(&mut connection)
                .await
                .unwrap()
        }
    };
    let access = Token::expiring_in("a", Duration::from_secs(60));
    store
        .save("plain", &StoredToken::of(&access))
        .await
        .unwrap();
    let refreshable = access.clone().with_refresh_token("r");
    store
        .save("refreshable", &StoredToken::of(&refreshable))
        .await
        .unwrap();
    store
        .save("unknown", &StoredToken::of(&Token::new("u")))
        .await
        .unwrap();
    let plain = pttl("ttl:token:plain").await;
    assert!((55_000..=60_000).contains(&plain), "{plain}");
    let refreshable = pttl("ttl:token:refreshable").await;
    assert!(
        (3_655_000..=3_660_000).contains(&refreshable),
        "{refreshable}"
    );
    assert_eq!(
        pttl("ttl:token:unknown").await,
        -1,
        "no expiry known: none set"
    );
    drop(connection);
}
