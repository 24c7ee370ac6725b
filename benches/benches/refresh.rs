//! `cargo bench -p benches --bench refresh`: the latency of calls that cross a token's refresh
//! boundary against steady-state calls, for our `TokenSource` and for the cache one writes by
//! hand (a `RwLock<Option<Token>>` that fetches in the caller when the token is due), measured in
//! the same run against a loopback server in a child process.
//!
//! Tokens live 100 ms and are due for refresh after 50 ms; a token request takes 5 ms. A call
//! crosses the boundary when it runs while a token is due and no new one has arrived (for the
//! hand-written cache: the call that fetches it). Prints p50 and p99 of each group and the
//! ratios boundary / steady (goal for ours: p99 within 1.1×).
//!
//! `AUTH_CLIENT_BENCH_CALLS` scales the run (calls per side and round, 3 rounds).

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use auth_core::{Credentials, FetchFuture, Token, TokenPolicy, TokenSource};
use benches::{ServerProcess, pin_to_cpu};
use dintero_auth::models::AuthChallenge;

const LIFETIME: Duration = Duration::from_millis(100);
const DUE_AFTER: Duration = Duration::from_millis(50);
const FETCH: Duration = Duration::from_millis(5);

/// When each token request ran.
type Fetches = Arc<Mutex<Vec<(Instant, Instant)>>>;

/// One call's start, end, and whether it crossed a refresh boundary.
struct Sample {
    latency: Duration,
    boundary: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct Summary {
    steady: (Duration, Duration),
    boundary: (Duration, Duration),
    boundary_calls: usize,
}

fn summarize(samples: &[Sample]) -> Summary {
    let group = |boundary: bool| {
        let mut latencies: Vec<Duration> = samples
            .iter()
            .filter(|s| s.boundary == boundary)
            .map(|s| s.latency)
            .collect();
        latencies.sort();
        latencies
    };
    let steady = group(false);
    let boundary = group(true);
    Summary {
        steady: (percentile(&steady, 0.5), percentile(&steady, 0.99)),
        boundary: (percentile(&boundary, 0.5), percentile(&boundary, 0.99)),
        boundary_calls: boundary.len(),
    }
}

/// Marks the calls that overlap a token request as crossing the boundary.
fn mark(calls: Vec<(Instant, Instant)>, fetches: &Fetches) -> Vec<Sample> {
    let fetches = fetches.lock().unwrap_or_else(PoisonError::into_inner);
    calls
        .into_iter()
        .map(|(start, end)| Sample {
            latency: end - start,
            boundary: fetches
                .iter()
                .any(|&(fetch_start, fetch_end)| start <= fetch_end && end >= fetch_start),
        })
        .collect()
}

async fn fetch(fetches: &Fetches) -> Token {
    let start = Instant::now();
    tokio::time::sleep(FETCH).await;
    fetches
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((start, Instant::now()));
    Token::expiring_in("access-token", LIFETIME)
}

fn body() -> AuthChallenge {
    AuthChallenge::new("mfa-token")
}

/// Ours: a client whose `TokenSource` refreshes in the background.
async fn ours(url: &str, calls: usize) -> Vec<Sample> {
    let fetches: Fetches = Arc::default();
    let provider = {
        let fetches = Arc::clone(&fetches);
        move || -> FetchFuture<'static> {
            let fetches = Arc::clone(&fetches);
            Box::pin(async move { Ok(fetch(&fetches).await) })
        }
    };
    let policy = TokenPolicy::default()
        .refresh_skew(LIFETIME - DUE_AFTER)
        .min_refresh_interval(Duration::from_millis(10));
    let source = TokenSource::with_policy(provider, policy);
    let client = workspace_client(url, Credentials::BearerSource(source));
    let body = body();
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        client
            .challenge()
            .aid_auth_mfa_challenge_post("T1", &body)
            .await
            .expect("the call succeeds");
        times.push((start, Instant::now()));
    }
    mark(times, &fetches)
}

/// The baseline: a hand-written cache read under a `RwLock`; the caller that finds the token due
/// fetches a new one under the write lock, the others wait for it.
async fn baseline(url: &str, calls: usize) -> Vec<Sample> {
    let fetches: Fetches = Arc::default();
    let cache: RwLock<Option<(String, Instant)>> = RwLock::new(None);
    let refreshing = tokio::sync::Mutex::new(());
    let client = workspace_client(url, Credentials::None);
    let body = body();
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let cached = cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(_, due)| Instant::now() < *due)
            .map(|(token, _)| token.clone());
        let token = match cached {
            Some(token) => token,
            None => {
                let _one = refreshing.lock().await;
                let token = fetch(&fetches).await;
                let value = token.secret().expose().to_owned();
                *cache.write().unwrap_or_else(PoisonError::into_inner) =
                    Some((value.clone(), Instant::now() + DUE_AFTER));
                value
            }
        };
        client
            .with_credentials(Credentials::bearer(token))
            .challenge()
            .aid_auth_mfa_challenge_post("T1", &body)
            .await
            .expect("the call succeeds");
        times.push((start, Instant::now()));
    }
    mark(times, &fetches)
}

fn workspace_client(url: &str, credentials: Credentials) -> dintero_auth::Client {
    dintero_auth::Client::builder()
        .server_url(dintero_auth::Server::Api, url)
        .credentials(credentials)
        .build()
        .expect("a local URL")
}

fn micros(d: Duration) -> String {
    format!("{:.1}µs", d.as_secs_f64() * 1e6)
}

fn main() {
    if std::env::var_os(benches::SERVE).is_some() {
        benches::serve();
        return;
    }
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let calls = std::env::var("AUTH_CLIENT_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let server = ServerProcess::start().expect("the server starts");
    pin_to_cpu(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut ours_samples, mut baseline_samples) = (Vec::new(), Vec::new());
    runtime.block_on(async {
        // Warm up connections and code paths, then alternate the two sides.
        let _ = ours(&server.url, 500).await;
        let _ = baseline(&server.url, 500).await;
        for _ in 0..3 {
            ours_samples.extend(ours(&server.url, calls).await);
            baseline_samples.extend(baseline(&server.url, calls).await);
        }
    });
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9}",
        "cache", "steady p50", "steady p99", "cross p50", "cross p99", "p50 ×", "p99 ×", "crossing"
    );
    for (name, samples) in [
        ("TokenSource (ours)", &ours_samples),
        ("RwLock<Option<Token>> (by hand)", &baseline_samples),
    ] {
        let s = summarize(samples);
        println!(
            "{:<34} {:>10} {:>10} {:>10} {:>10} {:>8.3} {:>8.3} {:>9}",
            name,
            micros(s.steady.0),
            micros(s.steady.1),
            micros(s.boundary.0),
            micros(s.boundary.1),
            s.boundary.0.as_secs_f64() / s.steady.0.as_secs_f64(),
            s.boundary.1.as_secs_f64() / s.steady.1.as_secs_f64(),
            s.boundary_calls,
        );
    }
    let ours = summarize(&ours_samples);
    let hand = summarize(&baseline_samples);
    println!(
        "ours against the hand-written cache: steady p99 {:.3}×, crossing p99 {:.3}×",
        ours.steady.1.as_secs_f64() / hand.steady.1.as_secs_f64(),
        ours.boundary.1.as_secs_f64() / hand.boundary.1.as_secs_f64(),
    );
}
