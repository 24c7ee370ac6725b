//! `cargo bench -p benches`: the cost of our crates against a hand-written reqwest + serde
//! baseline doing the same requests in the same run, against a loopback server in a child
//! process (so that only the client's CPU time is counted). Prints one row per case with the
//! CPU time per request of each and the ratio ours / baseline (target: at most 1.05).
//! (`--bench token` times a cached-token lookup, `--bench refresh` calls across a token refresh;
//! `cargo bench -p xtask` a full codegen.)
//!
//! `AUTH_CLIENT_BENCH_ROUNDS` and `AUTH_CLIENT_BENCH_REQUESTS` scale the run.

use std::future::Future;
use std::hint::black_box;
use std::time::Duration;

use auth_core::{Credentials, ErrorMetadata};
use benches::{ServerProcess, cpu_time};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time per request of `requests` calls of `call`, `concurrency` at a time.
async fn measure<F, Fut>(requests: usize, concurrency: usize, call: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let started = cpu_time();
    let mut left = requests;
    while left > 0 {
        let batch = left.min(concurrency);
        let calls: Vec<Fut> = (0..batch).map(|_| call()).collect();
        futures_join(calls).await;
        left -= batch;
    }
    (cpu_time() - started) / requests as u32
}

/// Runs the futures concurrently on this task, polling only those that were woken.
async fn futures_join<Fut: Future<Output = ()>>(futures: Vec<Fut>) {
    use futures_util::StreamExt as _;
    let mut pending: futures_util::stream::FuturesUnordered<Fut> = futures.into_iter().collect();
    while pending.next().await.is_some() {}
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[derive(Serialize)]
struct BaselineAppToken<'a> {
    application_token: &'a str,
}

#[derive(Deserialize)]
struct BaselineAuthResponse {
    #[allow(dead_code)]
    auth_token: Option<String>,
    #[allow(dead_code)]
    refresh_token: Option<String>,
    #[allow(dead_code)]
    mfa_token: Option<String>,
}

#[derive(Serialize)]
struct BaselineClientCredentials<'a> {
    grant_type: &'a str,
    audience: &'a str,
}

/// plex.tv's error body, as a hand-written client would model it.
#[derive(Deserialize)]
struct BaselinePlexErrors {
    #[allow(dead_code)]
    errors: Vec<BaselinePlexError>,
}

#[derive(Deserialize)]
struct BaselinePlexError {
    #[allow(dead_code)]
    code: i64,
    #[allow(dead_code)]
    message: String,
    #[allow(dead_code)]
    status: u16,
}

#[derive(Deserialize)]
struct BaselineAccessToken {
    #[allow(dead_code)]
    access_token: String,
    #[allow(dead_code)]
    token_type: String,
    #[allow(dead_code)]
    expires_in: i64,
    #[allow(dead_code)]
    refresh_token: Option<String>,
}

struct Case {
    name: &'static str,
    ours: Duration,
    baseline: Duration,
    /// The median of the per-round ratios (each round runs both, back to back).
    ratio: f64,
}

async fn compare<A, AF, B, BF>(
    name: &'static str,
    rounds: usize,
    requests: usize,
    concurrency: usize,
    ours: A,
    baseline: B,
) -> Case
where
    A: Fn() -> AF,
    AF: Future<Output = ()>,
    B: Fn() -> BF,
    BF: Future<Output = ()>,
{
    // AUTH_CLIENT_BENCH_SIDE=ours|baseline runs one side only, for instruction counting.
    match std::env::var("AUTH_CLIENT_BENCH_SIDE").as_deref() {
        Ok("ours") => {
            let cost = measure(requests, concurrency, &ours).await;
            return Case {
                name,
                ours: cost,
                baseline: cost,
                ratio: 1.0,
            };
        }
        Ok("baseline") => {
            let cost = measure(requests, concurrency, &baseline).await;
            return Case {
                name,
                ours: cost,
                baseline: cost,
                ratio: 1.0,
            };
        }
        _ => {}
    }
    // Warm both up: connections, allocator, caches.
    measure(200, concurrency, &ours).await;
    measure(200, concurrency, &baseline).await;
    let mut ours_runs = Vec::new();
    let mut baseline_runs = Vec::new();
    let mut ratios = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so that neither always inherits the other's state.
        let (b, o) = if round % 2 == 0 {
            let b = measure(requests, concurrency, &baseline).await;
            (b, measure(requests, concurrency, &ours).await)
        } else {
            let o = measure(requests, concurrency, &ours).await;
            (measure(requests, concurrency, &baseline).await, o)
        };
        ratios.push(o.as_secs_f64() / b.as_secs_f64());
        baseline_runs.push(b);
        ours_runs.push(o);
    }
    ratios.sort_by(f64::total_cmp);
    Case {
        name,
        ours: median(ours_runs),
        baseline: median(baseline_runs),
        ratio: ratios[ratios.len() / 2],
    }
}

fn main() {
    if std::env::var_os(benches::SERVE).is_some() {
        benches::serve();
        return;
    }
    let rounds = env_number("AUTH_CLIENT_BENCH_ROUNDS", 31);
    let requests = env_number("AUTH_CLIENT_BENCH_REQUESTS", 500);
    let server = ServerProcess::start().expect("the loopback server starts");
    benches::pin_to_cpu(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let cases = runtime.block_on(run(&server.url, rounds, requests));

    println!(
        "per-request client CPU time, medians of {rounds} rounds of {requests} requests; ratio: median of the rounds' ratios"
    );
    println!(
        "{:<50} {:>12} {:>12} {:>7}",
        "case", "baseline", "ours", "ratio"
    );
    let mut worst: f64 = 0.0;
    for case in &cases {
        let ratio = case.ratio;
        worst = worst.max(ratio);
        println!(
            "{:<50} {:>10.1}µs {:>10.1}µs {:>7.3}",
            case.name,
            case.baseline.as_secs_f64() * 1e6,
            case.ours.as_secs_f64() * 1e6,
            ratio
        );
    }
    println!("worst ratio {worst:.3} (target ≤ 1.050)");
}

async fn run(url: &str, rounds: usize, requests: usize) -> Vec<Case> {
    let emnify = workspace_client(url);
    // The baseline is what a hand-written client uses: reqwest's defaults (which follow
    // redirects, as ours do within an origin), sending the same requests as ours, user agent
    // included.
    let baseline_client = |agent: &str| {
        reqwest::Client::builder()
            .user_agent(agent)
            .build()
            .expect("a reqwest client")
    };
    let emnify_http = baseline_client("emnify-auth/0.1.0");
    let dintero_http = baseline_client("dintero-auth/0.1.0");
    let plex_http = baseline_client("plex-auth/0.1.0");

    let dintero = dintero_auth::Client::builder()
        .server_url(dintero_auth::Server::Api, url)
        .credentials(Credentials::basic("client-id", "client-secret"))
        .build()
        .expect("a client");
    let identity = plex_auth::ClientIdentity::new("bench-client")
        .product("bench")
        .version("1");
    let plex = identity
        .builder()
        .server_url(plex_auth::Server::PlexTv, format!("{url}/api/v2"))
        .credentials(Credentials::api_key("plex-token"))
        .build()
        .expect("a client");
    let emnify_body = emnify_auth::models::ApplicationTokenAuthentication::new("app-token").into();
    let dintero_grant = dintero_auth::models::ClientCredentialsGrant::new("https://aud").into();
    let (emnify_http, dintero_http, plex_http) = (&emnify_http, &dintero_http, &plex_http);
    let (emnify, dintero, plex) = (&emnify, &dintero, &plex);
    let (emnify_body, dintero_grant) = (&emnify_body, &dintero_grant);

    let emnify_ours = || async move {
        black_box(
            emnify
                .authentication()
                .authenticate(emnify_body)
                .await
                .expect("ours"),
        );
    };
    let emnify_baseline = || async move {
        let body = serde_json::to_vec(&BaselineAppToken {
            application_token: "app-token",
        })
        .expect("json");
        let response = emnify_http
            .post(format!("{url}/api/v1/authenticate"))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .expect("baseline");
        let bytes = response.bytes().await.expect("body");
        black_box(serde_json::from_slice::<BaselineAuthResponse>(&bytes).expect("decodes"));
    };
    let dintero_ours = || async move {
        black_box(
            dintero
                .authentication()
                .aid_auths_oauth_token_post("T00000000", dintero_grant)
                .await
                .expect("ours"),
        );
    };
    let dintero_baseline = || async move {
        let grant = BaselineClientCredentials {
            grant_type: "client_credentials",
            audience: "https://aud",
        };
        let body = serde_json::to_vec(&grant).expect("json");
        let response = dintero_http
            .post(format!("{url}/accounts/T00000000/auth/token"))
            .basic_auth("client-id", Some("client-secret"))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .expect("baseline");
        let bytes = response.bytes().await.expect("body");
        black_box(serde_json::from_slice::<BaselineAccessToken>(&bytes).expect("decodes"));
    };
    let plex_ours = || async move {
        black_box(
            plex.authentication()
                .get_token_details()
                .await
                .expect("ours"),
        );
    };
    let plex_baseline = || async move {
        let response = plex_http
            .get(format!("{url}/api/v2/user"))
            .header("X-Plex-Client-Identifier", "bench-client")
            .header("X-Plex-Product", "bench")
            .header("X-Plex-Version", "1")
            .header("X-Plex-Token", "plex-token")
            .header(ACCEPT, "application/json")
            .send()
            .await
            .expect("baseline");
        let bytes = response.bytes().await.expect("body");
        // The same model a hand-written client would define field for field.
        black_box(
            serde_json::from_slice::<plex_auth::models::UserPlexAccount>(&bytes).expect("decodes"),
        );
    };
    // The error path: a documented 401 with a JSON body. Ours returns the typed error (its
    // masked excerpt is not asked for); the baseline reads the status and decodes the body.
    let sign_in = plex_auth::models::SignInRequest::new("user@example.org", "wrong-password");
    let sign_in = &sign_in;
    let plex_refused_ours = || async move {
        let error = plex
            .authentication()
            .post_users_sign_in_data(sign_in)
            .await
            .expect_err("a 401");
        black_box(error.status());
        black_box(error);
    };
    let plex_refused_baseline = || async move {
        let response = plex_http
            .post(format!("{url}/api/v2/users/signin"))
            .header("X-Plex-Client-Identifier", "bench-client")
            .header("X-Plex-Product", "bench")
            .header("X-Plex-Version", "1")
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("login=user%40example.org&password=wrong-password")
            .send()
            .await
            .expect("baseline");
        let status = response.status();
        assert_eq!(status, 401);
        let bytes = response.bytes().await.expect("body");
        black_box(status);
        black_box(serde_json::from_slice::<BaselinePlexErrors>(&bytes).expect("decodes"));
    };

    // A 429 with `Retry-After`, returned to the caller (no retries): ours gives the
    // `TooManyRequests` error and its wait; the baseline reads the status, the header and the
    // body.
    let throttled = emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, url)
        .header(benches::ANSWER_HEADER, "429")
        .retry(auth_core::RetryPolicy::disabled())
        .build()
        .expect("a client");
    let throttled = &throttled;
    let emnify_throttled_ours = || async move {
        let error = throttled
            .authentication()
            .authenticate(emnify_body)
            .await
            .expect_err("a 429");
        black_box(error.retry_after());
        black_box(error);
    };
    let emnify_throttled_baseline = || async move {
        let response = baseline_emnify_login(emnify_http, url, "429").await;
        assert_eq!(response.status(), 429);
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.expect("body");
        black_box(wait);
        black_box(serde_json::from_slice::<serde_json::Value>(&bytes).expect("decodes"));
    };
    // A 503 retried once to success (a GET: safe to send twice), without a backoff on either
    // side (a zero-length sleep, the await a retry with a backoff makes).
    let flaky = identity
        .builder()
        .server_url(plex_auth::Server::PlexTv, format!("{url}/api/v2"))
        .credentials(Credentials::api_key("plex-token"))
        .header(benches::ANSWER_HEADER, "503-once")
        .retry(
            auth_core::RetryPolicy::default()
                .initial_backoff(Duration::ZERO)
                .max_backoff(Duration::ZERO),
        )
        .build()
        .expect("a client");
    let flaky = &flaky;
    let plex_flaky_ours = || async move {
        black_box(
            flaky
                .authentication()
                .get_token_details()
                .await
                .expect("the retry succeeds"),
        );
    };
    let plex_flaky_baseline = || async move {
        loop {
            let response = plex_http
                .get(format!("{url}/api/v2/user"))
                .header("X-Plex-Client-Identifier", "bench-client")
                .header("X-Plex-Product", "bench")
                .header("X-Plex-Version", "1")
                .header("X-Plex-Token", "plex-token")
                .header(ACCEPT, "application/json")
                .header(benches::ANSWER_HEADER, "503-once")
                .send()
                .await
                .expect("baseline");
            if response.status() == 503 {
                let _ = response.bytes().await;
                tokio::time::sleep(Duration::ZERO).await;
                continue;
            }
            let bytes = response.bytes().await.expect("body");
            black_box(
                serde_json::from_slice::<plex_auth::models::UserPlexAccount>(&bytes)
                    .expect("decodes"),
            );
            break;
        }
    };

    // A 401 that refreshes the token and replays the request: every other GET is refused, the
    // token is fetched again (emnify's application-token login) and the GET sent once more.
    // Refreshes are not spaced (`min_refresh_interval` zero), as the baseline's are not.
    let expiring = emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, url)
        .header(benches::ANSWER_HEADER, "401-once")
        .token_policy(auth_core::TokenPolicy::default().min_refresh_interval(Duration::ZERO))
        .build()
        .expect("a client");
    let expiring =
        expiring.with_token_provider(emnify_auth::ApplicationToken::new(&expiring, "app-token"));
    let expiring = &expiring;
    let emnify_replay_ours = || async move {
        let answer = expiring
            .request(auth_core::Method::GET, "/api/v1/endpoint")
            .send()
            .await
            .expect("the replay succeeds");
        black_box(answer.json::<serde_json::Value>().expect("decodes"));
    };
    let held_token = &*Box::leak(Box::new(std::sync::Mutex::new(String::new())));
    let emnify_replay_baseline = || async move {
        let mut refreshed = false;
        loop {
            let token = held_token.lock().expect("a token").clone();
            let response = emnify_http
                .get(format!("{url}/api/v1/endpoint"))
                .bearer_auth(&token)
                .header(ACCEPT, "application/json")
                .header(benches::ANSWER_HEADER, "401-once")
                .send()
                .await
                .expect("baseline");
            if response.status() == 401 && !refreshed {
                let _ = response.bytes().await;
                let answer = baseline_emnify_login(emnify_http, url, "401-once").await;
                let bytes = answer.bytes().await.expect("body");
                let tokens: BaselineAuthResponse = serde_json::from_slice(&bytes).expect("decodes");
                *held_token.lock().expect("a token") = tokens.auth_token.unwrap_or_default();
                refreshed = true;
                continue;
            }
            let bytes = response.bytes().await.expect("body");
            black_box(serde_json::from_slice::<serde_json::Value>(&bytes).expect("decodes"));
            break;
        }
    };

    if std::env::var_os("AUTH_CLIENT_BENCH_SIZES").is_some() {
        println!(
            "future sizes: emnify ours {} / baseline {}, dintero ours {} / baseline {}, plex ours {} / baseline {}",
            std::mem::size_of_val(&emnify_ours()),
            std::mem::size_of_val(&emnify_baseline()),
            std::mem::size_of_val(&dintero_ours()),
            std::mem::size_of_val(&dintero_baseline()),
            std::mem::size_of_val(&plex_ours()),
            std::mem::size_of_val(&plex_baseline())
        );
        println!(
            "core send future: {}",
            std::mem::size_of_val(&auth_core::__private::send(
                emnify.core(),
                auth_core::__private::OperationRequest::new(&SIZE_OP, String::new())
            ))
        );
    }
    let mut cases = Vec::new();
    // AUTH_CLIENT_BENCH_ONLY=sequential (or "64") runs only those cases, for profiling.
    let only = std::env::var("AUTH_CLIENT_BENCH_ONLY").unwrap_or_default();
    // AUTH_CLIENT_BENCH_CASE="emnify authenticate" (a case's name, as below) runs only it.
    let case = std::env::var("AUTH_CLIENT_BENCH_CASE").unwrap_or_default();
    let wanted = |name: &str| case.is_empty() || name == case;
    for (concurrency, suffix) in [(1, "sequential"), (64, "64 concurrent")] {
        if !suffix.contains(only.as_str()) {
            continue;
        }
        if wanted("emnify authenticate") {
            let name = leak(format!("emnify authenticate, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                emnify_ours,
                emnify_baseline,
            );
            cases.push(case.await);
        }
        if wanted("Dintero token (client credentials)") {
            let name = leak(format!("Dintero token (client credentials), {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                dintero_ours,
                dintero_baseline,
            );
            cases.push(case.await);
        }
        if wanted("emnify authenticate answering 429") {
            let name = leak(format!("emnify authenticate answering 429, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                emnify_throttled_ours,
                emnify_throttled_baseline,
            );
            cases.push(case.await);
        }
        // Sequential only: the server answers every other such request with a 503, which
        // pairs each call's first attempt with its retry only when calls do not overlap.
        if concurrency == 1 && wanted("Plex token details after a 503") {
            let name = leak(format!("Plex token details after a 503, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                plex_flaky_ours,
                plex_flaky_baseline,
            );
            cases.push(case.await);
        }
        // Sequential only, for the same reason as the 503.
        if concurrency == 1 && wanted("emnify 401, token refreshed, replayed") {
            let name = leak(format!("emnify 401, token refreshed, replayed, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                emnify_replay_ours,
                emnify_replay_baseline,
            );
            cases.push(case.await);
        }
        if wanted("Plex sign-in answering 401") {
            let name = leak(format!("Plex sign-in answering 401, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                plex_refused_ours,
                plex_refused_baseline,
            );
            cases.push(case.await);
        }
        if wanted("Plex token details") {
            let name = leak(format!("Plex token details, {suffix}"));
            let case = compare(
                name,
                rounds,
                requests,
                concurrency,
                plex_ours,
                plex_baseline,
            );
            cases.push(case.await);
        }
    }
    cases
}

static SIZE_OP: auth_core::__private::Operation = auth_core::__private::Operation {
    api: "size",
    id: "size",
    name: "size",
    method: auth_core::Method::GET,
    server: "http://127.0.0.1",
    path: "/",
    security: &[],
    idempotent: true,
};

fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

/// The hand-written emnify application-token login of the error-path baselines, asking the
/// bench server for `answer` (`benches::ANSWER_HEADER`).
async fn baseline_emnify_login(
    http: &reqwest::Client,
    url: &str,
    answer: &'static str,
) -> reqwest::Response {
    let body = serde_json::to_vec(&BaselineAppToken {
        application_token: "app-token",
    })
    .expect("json");
    http.post(format!("{url}/api/v1/authenticate"))
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .header(benches::ANSWER_HEADER, answer)
        .body(body)
        .send()
        .await
        .expect("baseline")
}

fn workspace_client(url: &str) -> emnify_auth::Client {
    emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, url)
        .build()
        .expect("a client")
}
