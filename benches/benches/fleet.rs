//! `cargo bench -p benches --bench fleet`: token requests per token lifetime of a fleet of
//! processes sharing one credential through `RedisTokenStore`, with Redis restarted (empty) in
//! the middle of the run, against the same fleet without a shared store in the same run.
//!
//! Each "process" is a token source of its own, with its own client and its own Redis
//! connection, asking for a token every 100 ms from the emnify fake, whose tokens live 10 s and
//! are refreshed 1 s before they expire. Needs `redis-server` on the PATH (`.ci/run` installs
//! it). Goal: 1 token request per token lifetime, plus at most one per restart.
//!
//! `AUTH_CLIENT_BENCH_FLEET` sets the number of processes (20), `AUTH_CLIENT_BENCH_LIFETIMES`
//! how many token lifetimes the run lasts (6).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_core::{Credentials, RedisTokenStore, TokenPolicy, TokenProvider};
use emnify_auth::ApplicationToken;
use emnify_auth::testing::{EmnifyConfig, EmnifyFake};

const LIFETIME: Duration = Duration::from_secs(10);
const ASK_EVERY: Duration = Duration::from_millis(100);

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on 127.0.0.1")
}

fn redis_server(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server on the PATH (Debian: apt-get install redis-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Runs the fleet for `run`, restarting Redis at `restart_at` when there is one; the number of
/// token requests the fake answered.
async fn fleet(processes: usize, run: Duration, redis: Option<(u16, Duration)>) -> usize {
    let config = EmnifyConfig {
        token_lifetime: LIFETIME,
        ..EmnifyConfig::default()
    };
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let mut redis_child = redis.map(|(port, _)| redis_server(port));
    let policy = TokenPolicy::default().refresh_skew(Duration::from_secs(1));
    let started = Instant::now();
    let tasks: Vec<_> = (0..processes)
        .map(|_| {
            let base = emnify_auth::Client::builder()
                .server_url(emnify_auth::Server::Api, server.url())
                .token_policy(policy)
                .build()
                .unwrap()
                .with_credentials(Credentials::None);
            let provider = ApplicationToken::new(&base, config.application_token.clone());
            let client = match redis {
                Some((port, _)) => {
                    let store =
                        RedisTokenStore::new(&format!("redis://127.0.0.1:{port}/0")).unwrap();
                    base.with_token_provider(provider.stored_in(store, "emnify:application"))
                }
                None => base.with_token_provider(provider),
            };
            tokio::spawn(async move {
                while started.elapsed() < run {
                    client.core().bearer_token().await.expect("a token");
                    tokio::time::sleep(ASK_EVERY).await;
                }
            })
        })
        .collect();
    if let (Some((port, restart_at)), Some(child)) = (redis, redis_child.as_mut()) {
        tokio::time::sleep(restart_at).await;
        let _ = child.kill();
        let _ = child.wait();
        tokio::time::sleep(Duration::from_millis(500)).await;
        *child = redis_server(port);
        println!(
            "redis restarted at {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    for task in tasks {
        task.await.unwrap();
    }
    if let Some(mut child) = redis_child {
        let _ = child.kill();
        let _ = child.wait();
    }
    fake.logins()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let processes = setting("AUTH_CLIENT_BENCH_FLEET", 20);
    let lifetimes = setting("AUTH_CLIENT_BENCH_LIFETIMES", 6);
    let run = LIFETIME * lifetimes as u32;
    let restart_at = run * 5 / 12;
    println!(
        "{processes} processes, tokens living {} s, {lifetimes} lifetimes, Redis restarted at {} s",
        LIFETIME.as_secs(),
        restart_at.as_secs()
    );
    let ours = fleet(processes, run, Some((free_port(), restart_at))).await;
    let alone = fleet(processes, run, None).await;
    // A process alone makes one token request per refresh (every lifetime less the skew):
    // the baseline's count per process is the number of token lifetimes the run used.
    let cycles = alone as f64 / processes as f64;
    println!("| fleet | token requests | per token lifetime used |");
    println!("|---|---:|---:|");
    println!(
        "| `stored_in(RedisTokenStore)`, Redis restarted once | {ours} | {:.2} |",
        ours as f64 / cycles
    );
    println!(
        "| each process alone (baseline) | {alone} | {:.2} |",
        alone as f64 / cycles
    );
    println!(
        "goal: at most {:.0} (one per lifetime used, plus one for the restart)",
        cycles + 1.0
    );
}
