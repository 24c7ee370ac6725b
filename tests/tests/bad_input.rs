//! The bad-input matrix: every row ends in a typed error (or, where stated, success), never a
//! panic. The GET operation used is `user_mfa_type_get` (safe to repeat); the POST is
//! `authenticate` (not safe to repeat).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use auth_core::{
    ApiError, ApiErrorKind, Credentials, Error, ErrorMetadata, RetryPolicy, TimeoutKind, Timeouts,
};
use emnify_auth::errors::{AuthenticateError, UserMfaTypeGetError};
use emnify_auth::models::{ApplicationTokenAuthentication, CreateMfaKeyRequest, IdRef};
use workspace_tests::raw::{RawServer, Step};

/// Quick backoff so that the matrix runs fast; `Retry-After` is still honoured.
fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(40))
}

fn client(url: &str) -> emnify_auth::Client {
    workspace_tests::emnify(url, Credentials::bearer("token")).with_retry(policy())
}

async fn get(
    url: &str,
) -> Result<Vec<emnify_auth::models::MfaKeyType>, ApiError<UserMfaTypeGetError>> {
    client(url).authentication().user_mfa_type_get().await
}

async fn post(
    url: &str,
) -> Result<emnify_auth::models::AuthenticationResponse, ApiError<AuthenticateError>> {
    let body = ApplicationTokenAuthentication::new("app").into();
    client(url).authentication().authenticate(&body).await
}

fn core_error(error: ApiError<UserMfaTypeGetError>) -> Error {
    match error.into_kind() {
        ApiErrorKind::Other(error) => error,
        other => panic!("expected a core error, got {other:?}"),
    }
}

const TYPES: &str = r#"[{"id": 0, "description": "Time-Based One-Time Password"}]"#;

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let error = core_error(get(&url).await.unwrap_err());
    assert!(
        matches!(&error, Error::Transport(e) if e.is_connect()),
        "{error:?}"
    );
    assert!(error.is_retryable());
    // Nothing reached a server, so even a POST was retried, and still fails typed.
    assert!(matches!(
        post(&url).await.unwrap_err().kind(),
        ApiErrorKind::Other(Error::Transport(_))
    ));
}

#[tokio::test]
async fn connection_reset_mid_body_is_retried_only_when_safe() {
    let cut = Step::CutBody {
        promised: 200,
        sent: br#"[{"id": 0, "descr"#.to_vec(),
    };
    let server = RawServer::start(vec![cut.clone()]).await.unwrap();
    let error = core_error(get(server.url()).await.unwrap_err());
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(
        server.requests(),
        3,
        "a GET is retried up to the policy's attempts"
    );

    let server = RawServer::start(vec![cut]).await.unwrap();
    let error = post(server.url()).await.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(Error::Transport(_))
        ),
        "{error:?}"
    );
    assert_eq!(
        server.requests(),
        1,
        "a POST that reached the server is not sent twice"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_ends_in_a_timeout_within_the_limit() {
    let server = RawServer::start(vec![Step::Hang]).await.unwrap();
    let timeouts = Timeouts {
        attempt: Some(Duration::from_millis(200)),
        total: Some(Duration::from_millis(500)),
    };
    let started = Instant::now();
    let error = client(server.url())
        .with_timeouts(timeouts)
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(
        core_error(error),
        Error::Timeout(TimeoutKind::Attempt | TimeoutKind::Total)
    ),);
    // On the paused clock: never a moment past the total timeout.
    assert!(elapsed <= Duration::from_millis(500), "took {elapsed:?}");
}

#[tokio::test]
async fn attempt_timeout_of_a_post_is_not_retried() {
    let server = RawServer::start(vec![Step::Hang]).await.unwrap();
    let body = ApplicationTokenAuthentication::new("app").into();
    let error = client(server.url())
        .with_timeouts(Timeouts {
            attempt: Some(Duration::from_millis(150)),
            total: None,
        })
        .authentication()
        .authenticate(&body)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(Error::Timeout(TimeoutKind::Attempt))
        ),
        "{error:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_with_retry_after_seconds_then_success() {
    let server = RawServer::start(vec![
        Step::with(429, &[("retry-after", "2")], ""),
        Step::json(200, TYPES),
    ])
    .await
    .unwrap();
    let started = Instant::now();
    let types = get(server.url()).await.unwrap();
    assert_eq!(types.len(), 1);
    // On the paused clock, the wait is exactly what the server asked for.
    assert_eq!(started.elapsed(), Duration::from_secs(2), "Retry-After: 2");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
// On the real clock: the date is read against the wall clock, which a paused clock does not stop.
async fn too_many_requests_with_an_http_date_then_success() {
    let at = httpdate_in(Duration::from_secs(2));
    let server = RawServer::start(vec![
        Step::with(429, &[("retry-after", at.as_str())], ""),
        Step::json(200, TYPES),
    ])
    .await
    .unwrap();
    let started = Instant::now();
    assert_eq!(get(server.url()).await.unwrap().len(), 1);
    // The date has one-second resolution: at least one second passed.
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(server.requests(), 2);
}

fn httpdate_in(wait: Duration) -> String {
    // RFC 9110 IMF-fixdate, written by hand to keep the test free of a date crate.
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + wait.as_secs();
    let days = secs / 86_400;
    let (h, m, s) = ((secs % 86_400) / 3600, (secs % 3600) / 60, secs % 60);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {day:02} {name} {year} {h:02}:{m:02}:{s:02} GMT")
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_ends_the_call() {
    let server = RawServer::start(vec![Step::with(429, &[("retry-after", "3600")], "")])
        .await
        .unwrap();
    let error = get(server.url()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests(), 1);
}

async fn status_row(status: u16) -> (ApiError<UserMfaTypeGetError>, usize, usize) {
    let server = RawServer::start(vec![Step::json(status, r#"{"message": "down"}"#)])
        .await
        .unwrap();
    let error = get(server.url()).await.unwrap_err();
    let get_requests = server.requests();
    let server = RawServer::start(vec![Step::json(status, r#"{"message": "down"}"#)])
        .await
        .unwrap();
    let post_error = post(server.url()).await.unwrap_err();
    assert_eq!(post_error.status().map(|s| s.as_u16()), Some(status));
    assert!(matches!(post_error.kind(), ApiErrorKind::ServerError(_)));
    (error, get_requests, server.requests())
}

#[tokio::test]
async fn internal_server_error_is_typed_and_not_retried() {
    let (error, gets, posts) = status_row(500).await;
    assert!(matches!(error.kind(), ApiErrorKind::ServerError(meta) if meta.status() == 500));
    assert!(!error.is_retryable());
    assert_eq!((gets, posts), (1, 1));
}

#[tokio::test]
async fn bad_gateway_is_retried_for_a_get_only() {
    let (error, gets, posts) = status_row(502).await;
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.is_retryable());
    assert_eq!((gets, posts), (3, 1));
}

#[tokio::test]
async fn service_unavailable_is_retried_for_a_get_only() {
    let (error, gets, posts) = status_row(503).await;
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!((gets, posts), (3, 1));
}

#[tokio::test]
async fn gateway_timeout_is_retried_for_a_get_only() {
    let (error, gets, posts) = status_row(504).await;
    assert_eq!(error.status().map(|s| s.as_u16()), Some(504));
    assert_eq!((gets, posts), (3, 1));
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = RawServer::start(vec![Step::json(503, "{}")]).await.unwrap();
    let error = client(server.url())
        .with_retry(RetryPolicy::disabled())
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.requests(), 1);
}

async fn decode_error(step: Step) -> (Error, String) {
    let server = RawServer::start(vec![step]).await.unwrap();
    let error = core_error(get(server.url()).await.unwrap_err());
    assert_eq!(
        server.requests(),
        1,
        "a body that does not decode is not retried"
    );
    let message = error.to_string();
    (error, message)
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let (error, message) = decode_error(Step::json(200, r#"[{"id": 0,"#)).await;
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(message.contains("HTTP 200"), "{message}");
}

#[tokio::test]
async fn an_html_page_is_a_decode_error_keeping_an_excerpt() {
    let page = "<html><body>Service down</body></html>";
    let (error, _) = decode_error(Step::with(200, &[("content-type", "text/html")], page)).await;
    let Error::Decode { meta, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(meta.raw_body_excerpt(), page.as_bytes());
}

#[tokio::test]
async fn an_empty_body_where_json_is_expected_is_a_decode_error() {
    let (error, message) = decode_error(Step::json(200, "")).await;
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(message.contains("EOF"), "{message}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_without_reading_it_whole() {
    let limited = |url: &str| {
        emnify_auth::Client::builder()
            .server_url(emnify_auth::Server::Api, url)
            .credentials(Credentials::bearer("token"))
            .max_body_bytes(64 * 1024)
            .build()
            .unwrap()
            .with_retry(RetryPolicy::disabled())
    };
    // Announced with Content-Length: refused before reading.
    let big = "x".repeat(1024 * 1024);
    let server = RawServer::start(vec![Step::json(200, &big)]).await.unwrap();
    let error = limited(server.url())
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(matches!(
        core_error(error),
        Error::BodyTooLarge { limit: 65_536, .. }
    ),);
    // Chunked, no length: read up to the limit, then refused.
    let server = RawServer::start(vec![Step::Chunked {
        size: 8 * 1024 * 1024,
    }])
    .await
    .unwrap();
    let error = core_error(
        limited(server.url())
            .authentication()
            .user_mfa_type_get()
            .await
            .unwrap_err(),
    );
    let Error::BodyTooLarge { meta, .. } = &error else {
        panic!("expected BodyTooLarge, got {error:?}");
    };
    assert!(meta.body_len() <= 64 * 1024);
}

#[tokio::test]
async fn a_missing_required_field_is_named() {
    let server = RawServer::start(vec![Step::json(
        200,
        r#"{"id": 44, "status": {"id": 0}, "type": {"id": 0}}"#,
    )])
    .await
    .unwrap();
    let body = CreateMfaKeyRequest::new(IdRef::new(0), "pw");
    let error = client(server.url())
        .authentication()
        .post_mfa(&body)
        .await
        .unwrap_err();
    let auth_core::ApiErrorKind::Other(Error::Decode { message, .. }) = error.kind() else {
        panic!("expected a decode error, got {error:?}");
    };
    assert!(message.contains("missing field `secret_key`"), "{message}");
}

#[tokio::test]
async fn unknown_fields_and_enum_values_are_accepted() {
    let server = RawServer::start(vec![Step::json(
        200,
        r#"{"access_token": "at", "token_type": "DPoP", "expires_in": 60, "scope": "new-field"}"#,
    )])
    .await
    .unwrap();
    let client = workspace_tests::dintero(server.url(), Credentials::basic("id", "secret"));
    let grant = dintero_auth::models::ClientCredentialsGrant::new("aud").into();
    let token = client
        .authentication()
        .aid_auths_oauth_token_post("T1", &grant)
        .await
        .unwrap();
    assert_eq!(
        token.token_type,
        Some(dintero_auth::models::TokenType::Unknown("DPoP".into()))
    );
    assert_eq!(token.token_type.as_ref().map(|t| t.as_str()), Some("DPoP"));
}

#[tokio::test]
async fn a_body_in_many_chunks_under_the_limit_is_read_whole() {
    // 100 kB in 16 KiB chunks, all spaces: read whole, then refused as JSON with no value.
    let server = RawServer::start(vec![Step::Chunked { size: 100_000 }])
        .await
        .unwrap();
    let error = core_error(get(server.url()).await.unwrap_err());
    let Error::Decode { meta, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(meta.body_len(), 100_000);
    assert!(meta.raw_body_excerpt().iter().all(|b| *b == b' '));
}
