//! The token lifecycle's guarantees that are about time, on a paused tokio clock: the back-off
//! after a failed refresh, the token endpoint's `Retry-After`, the detached refresh, budgets
//! shorter than one refresh, refresh ahead of expiry, and the pacing of tokens expired on
//! arrival. The token endpoint is a provider in the test (it fails, stalls or answers as each
//! test needs), so no second passes on the wall clock; `token_lifecycle.rs` drives the same
//! source through real HTTP faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::{
    Client, Error, FetchFuture, Secret, TimeoutKind, Timeouts, Token, TokenError, TokenErrorKind,
    TokenPolicy, TokenProvider,
};
use tokio::time::{Instant, sleep};

/// A token endpoint in the test: each fetch takes `delay`, then answers what `answer` gives for
/// the fetch's number (0 first).
struct Endpoint {
    fetches: Arc<AtomicUsize>,
    delay: Duration,
    answer: fn(usize) -> Result<Token, TokenError>,
}

impl TokenProvider for Endpoint {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let n = self.fetches.fetch_add(1, Ordering::SeqCst);
            sleep(self.delay).await;
            (self.answer)(n)
        })
    }
}

/// A client whose bearer tokens come from an [`Endpoint`]; the counter of its fetches.
fn client(
    policy: TokenPolicy,
    timeouts: Timeouts,
    delay: Duration,
    answer: fn(usize) -> Result<Token, TokenError>,
) -> (Client, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let endpoint = Endpoint {
        fetches: Arc::clone(&fetches),
        delay,
        answer,
    };
    let client = Client::builder()
        .token_policy(policy)
        .timeouts(timeouts)
        .build()
        .unwrap()
        .with_token_provider(endpoint);
    (client, fetches)
}

fn hour_token(n: usize) -> Result<Token, TokenError> {
    Ok(Token::expiring_in(
        format!("token-{n}"),
        Duration::from_secs(3600),
    ))
}

fn unavailable(_: usize) -> Result<Token, TokenError> {
    Err(TokenError::new(TokenErrorKind::Unavailable, "down"))
}

/// `n` concurrent calls for a token; their results in order.
async fn concurrently(client: &Client, n: usize) -> Vec<Result<Secret, Error>> {
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.bearer_token().await })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for call in calls {
        results.push(call.await.unwrap());
    }
    results
}

fn is_refresh_failure(result: &Result<Secret, Error>) -> bool {
    matches!(result, Err(Error::TokenRefresh(_)))
}

#[tokio::test(start_paused = true)]
async fn failures_are_paced_by_the_back_off_then_one_new_episode_serves_everyone() {
    let policy = TokenPolicy::default().initial_failure_backoff(Duration::from_millis(600));
    let (client, fetches) = client(
        policy,
        Timeouts::default(),
        Duration::from_millis(50),
        unavailable,
    );
    assert!(
        concurrently(&client, 200)
            .await
            .iter()
            .all(is_refresh_failure)
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Callers arriving during the back-off get the last error at once, with no new fetch.
    let started = Instant::now();
    assert!(
        concurrently(&client, 200)
            .await
            .iter()
            .all(is_refresh_failure)
    );
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // The back-off is 300 to 600 ms (half of it jitter) from the failure at 50 ms.
    sleep(Duration::from_millis(250)).await;
    assert!(is_refresh_failure(&client.bearer_token().await));
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "still inside the back-off"
    );

    // After it, one new episode for all.
    sleep(Duration::from_millis(400)).await;
    assert!(
        concurrently(&client, 200)
            .await
            .iter()
            .all(is_refresh_failure)
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn the_token_endpoints_retry_after_paces_the_next_fetch_beyond_the_back_off() {
    fn throttled(_: usize) -> Result<Token, TokenError> {
        Err(TokenError::new(TokenErrorKind::Unavailable, "slow down")
            .with_retry_after(Duration::from_secs(2)))
    }
    let policy = TokenPolicy::default().initial_failure_backoff(Duration::from_millis(100));
    let (client, fetches) = client(policy, Timeouts::default(), Duration::ZERO, throttled);
    assert!(is_refresh_failure(&client.bearer_token().await));
    // Well past the 100 ms back-off, inside the 2 s the endpoint asked for.
    sleep(Duration::from_millis(1900)).await;
    assert!(is_refresh_failure(&client.bearer_token().await));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    sleep(Duration::from_millis(100)).await;
    assert!(is_refresh_failure(&client.bearer_token().await));
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_detached_refresh_survives_the_caller_that_triggered_it() {
    let (client, fetches) = client(
        TokenPolicy::default(),
        Timeouts::default(),
        Duration::from_millis(300),
        hour_token,
    );
    let trigger = {
        let client = client.clone();
        tokio::spawn(async move { client.bearer_token().await })
    };
    sleep(Duration::from_millis(50)).await;
    trigger.abort();
    assert!(trigger.await.unwrap_err().is_cancelled());
    sleep(Duration::from_millis(250)).await;
    // The refresh finished without its caller: the next call finds the token ready.
    let started = Instant::now();
    assert_eq!(client.bearer_token().await.unwrap().expose(), "token-0");
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn callers_with_budgets_shorter_than_one_refresh_are_served_by_it() {
    let budget = Timeouts {
        attempt: Some(Duration::from_millis(200)),
        total: Some(Duration::from_millis(200)),
    };
    let (client, fetches) = client(
        TokenPolicy::default(),
        budget,
        Duration::from_millis(700),
        hour_token,
    );
    let started = Instant::now();
    let mut timed_out = 0;
    let token = loop {
        match client.bearer_token().await {
            Ok(token) => break token,
            Err(Error::Timeout(TimeoutKind::Token)) => timed_out += 1,
            Err(other) => panic!("{other:?}"),
        }
    };
    assert_eq!(token.expose(), "token-0");
    // Three budgets of 200 ms end before the 700 ms refresh; the fourth caller gets its token.
    assert_eq!(timed_out, 3);
    assert_eq!(started.elapsed(), Duration::from_millis(700));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_never_blocks_while_a_valid_token_exists() {
    fn three_seconds(n: usize) -> Result<Token, TokenError> {
        Ok(Token::expiring_in(
            format!("token-{n}"),
            Duration::from_secs(3),
        ))
    }
    // Tokens live 3 s; the refresh is due after half of that (at 2.1 s, the first token having
    // arrived at 600 ms) and takes 600 ms.
    let (client, fetches) = client(
        TokenPolicy::default(),
        Timeouts::default(),
        Duration::from_millis(600),
        three_seconds,
    );
    assert_eq!(client.bearer_token().await.unwrap().expose(), "token-0");
    sleep(Duration::from_millis(1600)).await;
    // In the refresh window: every call is served at once with the still-valid token.
    let mut seen = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        seen.push(client.bearer_token().await.unwrap().expose().to_owned());
        assert_eq!(started.elapsed(), Duration::ZERO);
        sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "one background refresh");
    assert_eq!(seen.first().map(String::as_str), Some("token-0"));
    assert_eq!(seen.last().map(String::as_str), Some("token-1"));
}

#[tokio::test(start_paused = true)]
async fn tokens_expired_on_arrival_are_used_and_their_refreshes_paced() {
    fn expired(n: usize) -> Result<Token, TokenError> {
        Ok(Token::expiring_in_secs(format!("token-{n}"), 0))
    }
    let interval = Duration::from_millis(400);
    let policy = TokenPolicy::default().min_refresh_interval(interval);
    let (client, fetches) = client(policy, Timeouts::default(), Duration::ZERO, expired);
    // A hundred callers, one fetch; each gets the token.
    let results = concurrently(&client, 100).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // A call every 10 ms for 1.3 s: one refresh per interval at the most, not one per call.
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_millis(1300) {
        client.bearer_token().await.unwrap();
        sent += 1;
        sleep(Duration::from_millis(10)).await;
    }
    let fetched = fetches.load(Ordering::SeqCst);
    assert!(sent >= 100, "{sent}");
    assert!(
        (2..=5).contains(&fetched),
        "{fetched} fetches for {sent} calls"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stalled_token_endpoint_ends_each_caller_at_its_total_timeout() {
    let total = Duration::from_millis(400);
    let timeouts = Timeouts {
        attempt: Some(Duration::from_secs(30)),
        total: Some(total),
    };
    let policy = TokenPolicy::default().request_timeout(Duration::from_secs(2));
    let (client, _) = client(policy, timeouts, Duration::from_secs(20), hour_token);
    let started = Instant::now();
    for result in concurrently(&client, 50).await {
        assert!(
            matches!(result, Err(Error::Timeout(TimeoutKind::Token))),
            "{result:?}"
        );
    }
    assert_eq!(started.elapsed(), total);
    // The token request's own timeout ends the refresh, whatever the callers' budgets.
    sleep(Duration::from_millis(1600)).await;
    let error = client
        .with_timeouts(Timeouts {
            attempt: None,
            total: None,
        })
        .bearer_token()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenRefresh(cause) if cause.kind() == TokenErrorKind::TimedOut),
        "{error:?}"
    );
}
