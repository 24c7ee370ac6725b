//! The token lifecycle under real HTTP faults, one test (or more) per guarantee, each named after
//! it: one refresh per episode with a shared outcome, expiry that survives clock skew, no
//! panicking arithmetic, one retry classifier, errors that point the right way, and bounded
//! memory. The guarantees about time (back-off, `Retry-After`, the detached refresh, refresh
//! ahead, bounded waits) are in `token_clock.rs`, on a paused clock, so nothing here sleeps.
//!
//! The token endpoint is Dintero's client-credentials grant (an httpmock server that fails,
//! stalls or answers as each test needs); the call that needs the token is the MFA challenge.

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::__private::{Operation, OperationRequest, Security, send};
use auth_core::{
    ApiError, ApiErrorKind, Credentials, Error, ErrorMetadata, RetryPolicy, Timeouts, TokenPolicy,
};
use dintero_auth::errors::AidAuthMfaChallengePostError;
use dintero_auth::models::{AuthChallenge, ChallengeResponse};
use emnify_auth::ApplicationToken;
use httpmock::prelude::*;
use serde_json::json;
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};

const TOKEN_PATH: &str = "/accounts/T1/auth/token";
const CALL_PATH: &str = "/accounts/T1/auth/mfa/challenge";
const FIVE_HOURS: i64 = 5 * 3600;

/// A Dintero client that gets its bearer token from the client-credentials grant at `url`.
fn client(
    url: &str,
    policy: TokenPolicy,
    timeouts: Timeouts,
    retry: RetryPolicy,
) -> dintero_auth::Client {
    let client = dintero_auth::Client::builder()
        .server_url(dintero_auth::Server::Api, url)
        .token_policy(policy)
        .timeouts(timeouts)
        .retry(retry)
        .build()
        .unwrap();
    client.with_token_provider(dintero_auth::ClientCredentials::new(
        &client, "T1", "client", "secret", "aud",
    ))
}

fn default_client(url: &str, policy: TokenPolicy) -> dintero_auth::Client {
    client(url, policy, Timeouts::default(), RetryPolicy::default())
}

async fn call(
    client: &dintero_auth::Client,
) -> Result<ChallengeResponse, ApiError<AidAuthMfaChallengePostError>> {
    let body = AuthChallenge::new("mfa-token");
    client
        .challenge()
        .aid_auth_mfa_challenge_post("T1", &body)
        .await
}

/// `n` concurrent calls; their results in order.
async fn concurrently(
    client: &dintero_auth::Client,
    n: usize,
) -> Vec<Result<ChallengeResponse, ApiError<AidAuthMfaChallengePostError>>> {
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { call(&client).await })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for call in calls {
        results.push(call.await.unwrap());
    }
    results
}

fn core_error<E: std::fmt::Debug>(error: &ApiError<E>) -> &Error {
    match error.kind() {
        ApiErrorKind::Other(error) => error,
        other => panic!("expected an auth-core error, got {other:?}"),
    }
}

fn is_refresh_failure(
    result: &Result<ChallengeResponse, ApiError<AidAuthMfaChallengePostError>>,
) -> bool {
    matches!(result, Err(error) if matches!(core_error(error), Error::TokenRefresh(_)))
}

async fn challenge_ok(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(CALL_PATH);
            then.status(200).json_body(json!({"challenge_type": "oob"}));
        })
        .await
}

/// The token endpoint of `server`, answering a token that lives `expires_in` s after `delay`.
async fn token_endpoint(
    server: &MockServer,
    expires_in: i64,
    delay: Duration,
) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(200)
                .json_body(access_token(expires_in))
                .delay(delay);
        })
        .await
}

fn access_token(expires_in: i64) -> serde_json::Value {
    json!({"access_token": "access-1", "token_type": "Bearer", "expires_in": expires_in})
}

// 1. One refresh per episode, shared outcome.

async fn failing_token_endpoint_episode(status: u16, body: &str, expected_requests: usize) {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(status)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    let calls = challenge_ok(&server).await;
    let policy = TokenPolicy::default().initial_failure_backoff(Duration::from_millis(600));
    let client = default_client(&server.base_url(), policy);

    let results = concurrently(&client, 200).await;
    assert!(results.iter().all(is_refresh_failure), "{:?}", results[0]);
    assert_eq!(
        token.calls_async().await,
        expected_requests,
        "HTTP {status}: one episode, as many requests as the retry policy allows"
    );

    // Callers arriving during the back-off get the last error at once, with no new request.
    let started = Instant::now();
    let results = concurrently(&client, 200).await;
    assert!(results.iter().all(is_refresh_failure));
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(token.calls_async().await, expected_requests);
    assert_eq!(calls.calls_async().await, 0);
    // (What follows the back-off is in `token_clock.rs`, on a paused clock.)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_per_episode_token_endpoint_answering_500() {
    // A POST answered 500 is not repeated.
    failing_token_endpoint_episode(500, r#"{"error":{"message":"down"}}"#, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_per_episode_token_endpoint_answering_garbage() {
    failing_token_endpoint_episode(200, "<html>not a token</html>", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_per_episode_token_endpoint_answering_429() {
    // 429 is repeated whatever the method: the retry policy's three attempts, no more.
    failing_token_endpoint_episode(429, r#"{"error":{"message":"slow down"}}"#, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_per_episode_success_is_shared_by_every_caller() {
    let server = MockServer::start_async().await;
    let token = token_endpoint(&server, 3600, Duration::from_millis(200)).await;
    let calls = challenge_ok(&server).await;
    let client = default_client(&server.base_url(), TokenPolicy::default());
    let results = concurrently(&client, 200).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(calls.calls_async().await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_per_episode_honours_the_token_endpoints_retry_after() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(429).header("retry-after", "2");
        })
        .await;
    // No back-off of its own and no retries: only the endpoint's `Retry-After` paces the next
    // request (how long it holds is in `token_clock.rs`, on a paused clock).
    let policy = TokenPolicy::default().initial_failure_backoff(Duration::ZERO);
    let client = client(
        &server.base_url(),
        policy,
        Timeouts::default(),
        RetryPolicy::disabled(),
    );
    let first = call(&client).await;
    assert!(is_refresh_failure(&first));
    let Err(error) = &first else { unreachable!() };
    let Error::TokenRefresh(cause) = core_error(error) else {
        panic!("{error:?}")
    };
    assert_eq!(cause.retry_after(), Some(Duration::from_secs(2)));
    let started = Instant::now();
    assert!(is_refresh_failure(&call(&client).await));
    assert!(started.elapsed() < Duration::from_millis(250));
    assert_eq!(token.calls_async().await, 1);
}

// 2.-4. The detached refresh, refresh ahead and bounded waits are about time: they are in
// `token_clock.rs`, on a paused clock.

// 5. Expiry that survives clock skew.

async fn emnify_with_vendor_clock(offset: i64) {
    let config = EmnifyConfig {
        clock_offset: offset,
        ..EmnifyConfig::default()
    };
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = workspace_tests::emnify(&server.url(), Credentials::None);
    let client = base.with_token_provider(ApplicationToken::new(&base, config.application_token));
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().user_mfa_type_get().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        (fake.logins(), fake.refreshes(), fake.rejected()),
        (1, 0, 0),
        "vendor clock {offset:+} s: no refresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_survives_clock_skew_emnify_vendor_five_hours_behind() {
    emnify_with_vendor_clock(-FIVE_HOURS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_survives_clock_skew_emnify_vendor_five_hours_ahead() {
    emnify_with_vendor_clock(FIVE_HOURS).await;
}

async fn dintero_with_vendor_clock(offset: i64) {
    let config = DinteroConfig {
        clock_offset: offset,
        ..DinteroConfig::default()
    };
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::dintero_of_fake(&server.url(), &config);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            let account = config.account_id.clone();
            tokio::spawn(async move {
                let body = AuthChallenge::new("unknown-mfa-token");
                client
                    .challenge()
                    .aid_auth_mfa_challenge_post(&account, &body)
                    .await
            })
        })
        .collect();
    for call in calls {
        // The fake knows no such MFA token (400): the bearer token itself was accepted.
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(400), "{error:?}");
    }
    assert_eq!(
        fake.token_requests(),
        1,
        "vendor clock {offset:+} s: one token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_survives_clock_skew_dintero_vendor_five_hours_behind() {
    dintero_with_vendor_clock(-FIVE_HOURS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_survives_clock_skew_dintero_vendor_five_hours_ahead() {
    dintero_with_vendor_clock(FIVE_HOURS).await;
}

// A token expired on arrival, and the pacing of its refreshes: `token_clock.rs`.

// 6. No panicking arithmetic (the properties are in auth-core's unit tests).

#[tokio::test]
async fn no_panicking_arithmetic_on_extreme_server_and_user_values() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(200).json_body(json!({
                "access_token": "access-1", "token_type": "Bearer", "expires_in": i64::MAX
            }));
        })
        .await;
    let huge = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(CALL_PATH)
                .json_body_includes(r#"{"mfa_token":"huge"}"#);
            then.status(429).header("retry-after", u64::MAX.to_string());
        })
        .await;
    let far = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(CALL_PATH)
                .json_body_includes(r#"{"mfa_token":"far"}"#);
            then.status(503)
                .header("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT");
        })
        .await;
    let extreme = Timeouts {
        attempt: Some(Duration::MAX),
        total: Some(Duration::MAX),
    };
    let retry = RetryPolicy::default()
        .max_attempts(u32::MAX)
        .initial_backoff(Duration::MAX)
        .max_backoff(Duration::MAX);
    let policy = TokenPolicy::default()
        .refresh_skew(Duration::MAX)
        .min_refresh_interval(Duration::MAX)
        .initial_failure_backoff(Duration::MAX)
        .max_failure_backoff(Duration::MAX)
        .request_timeout(Duration::MAX);
    let client = client(&server.base_url(), policy, extreme, retry);
    for (mfa_token, status) in [("huge", 429), ("far", 503)] {
        let body = AuthChallenge::new(mfa_token);
        let error = client
            .challenge()
            .aid_auth_mfa_challenge_post("T1", &body)
            .await
            .unwrap_err();
        // Longer than the policy waits: the answer stands, with the wait it asked for.
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert!(
            error
                .retry_after()
                .is_some_and(|wait| wait > Duration::from_secs(3600))
        );
    }
    huge.assert_calls_async(1).await;
    far.assert_calls_async(1).await;
}

// 7. One retry classifier: what can never be sent fails at once (the table is in auth-core).

/// The one server of the hand-made operation below.
#[derive(Clone, Copy)]
struct Local;

impl auth_core::SpecServer for Local {
    fn spec_url(self) -> &'static str {
        "http://unused.invalid"
    }
}

static CUSTOM: Operation = Operation {
    api: "test",
    id: "custom",
    name: "custom",
    method: auth_core::Method::GET,
    server: "http://unused.invalid",
    path: "/custom",
    security: &[Security::Bearer],
    idempotent: true,
};

#[tokio::test]
async fn one_retry_classifier_requests_that_can_never_be_sent_fail_at_once() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_, then| {
            then.status(200);
        })
        .await;
    let core = auth_core::Client::builder()
        .server_url(Local, server.base_url())
        .credentials(Credentials::bearer("token"))
        .retry(RetryPolicy::default().max_attempts(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let header = OperationRequest::new(&CUSTOM, "/custom".into()).header("x-note", "line\nbreak");
    assert!(matches!(
        send(&core, header).await,
        Err(Error::InvalidRequest(_))
    ));
    let url = OperationRequest::new(&CUSTOM, ":99999/custom".into());
    assert!(matches!(
        send(&core, url).await,
        Err(Error::InvalidRequest(_))
    ));
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), "a tuple is no JSON object key");
    let body = OperationRequest::new(&CUSTOM, "/custom".into()).json(&map);
    assert!(matches!(body, Err(Error::InvalidRequest(_))));
    assert!(started.elapsed() < Duration::from_millis(100));
    any.assert_calls_async(0).await;
}

// 8. Errors that point the right way.

#[tokio::test]
async fn errors_point_the_right_way_credentials_that_are_no_header_value() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_, then| {
            then.status(200);
        })
        .await;
    let plex = workspace_tests::plex(&server.base_url(), Credentials::api_key("bad\nkey"));
    let error = plex.authentication().get_token_details().await.unwrap_err();
    let auth_core::ApiErrorKind::Other(error) = error.kind() else {
        panic!("{error:?}");
    };
    assert!(
        matches!(error, Error::InvalidCredentials { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let emnify = workspace_tests::emnify(&server.base_url(), Credentials::bearer("bad\r\ntoken"));
    let error = emnify
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let auth_core::ApiErrorKind::Other(error) = error.kind() else {
        panic!("{error:?}");
    };
    assert!(
        matches!(error, Error::InvalidCredentials { .. }),
        "{error:?}"
    );
    assert!(!format!("{error:?} {error}").contains("bad"), "{error}");
    any.assert_calls_async(0).await;
}

// 10. Bounded memory.

#[tokio::test]
async fn bounded_memory_an_error_keeps_an_excerpt_of_a_multi_megabyte_body() {
    let server = MockServer::start_async().await;
    let huge = "x".repeat(3 * 1024 * 1024);
    server
        .mock_async(|when, then| {
            when.method(POST).path(CALL_PATH);
            then.status(500).body(&huge);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/mfa/recovery");
            then.status(200).body(&huge);
        })
        .await;
    let client = workspace_tests::dintero(&server.base_url(), Credentials::bearer("t0ken"));
    let error = call(&client).await.unwrap_err();
    let meta = error.response_meta().unwrap();
    assert_eq!(meta.body_len(), huge.len());
    assert_eq!(meta.raw_body_excerpt().len(), auth_core::BODY_EXCERPT_BYTES);
    assert!(format!("{error:?}").len() < 2048);
    let recovery = dintero_auth::models::MfaRecovery::new("u", "a");
    let error = client
        .challenge()
        .aid_auth_mfa_recovery_post("T1", &recovery)
        .await
        .unwrap_err();
    let meta = error.response_meta().unwrap();
    assert!(matches!(core_error(&error), Error::Decode { .. }));
    assert_eq!(meta.raw_body_excerpt().len(), auth_core::BODY_EXCERPT_BYTES);
    let _ = Arc::new(());
}
