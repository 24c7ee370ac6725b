//! A 401 to a token from a token source invalidates it and replays the request once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{Credentials, FetchFuture, Token, TokenProvider, TokenSource};
use emnify_auth::errors::UserMfaTypeGetError;
use httpmock::prelude::*;
use serde_json::json;
use workspace_tests::emnify;

struct Sequence {
    fetches: Arc<AtomicUsize>,
}

impl TokenProvider for Sequence {
    fn fetch(&self) -> FetchFuture<'_> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(Token::new(format!("fresh-{n}"))) })
    }
}

fn source() -> (TokenSource, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let source = TokenSource::new(Sequence {
        fetches: Arc::clone(&fetches),
    });
    source.seed(Token::new("stale"));
    (source, fetches)
}

#[tokio::test]
async fn a_401_refreshes_and_replays_once() {
    let server = MockServer::start_async().await;
    let stale = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/type")
                .header("authorization", "Bearer stale");
            then.status(401);
        })
        .await;
    let fresh = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/type")
                .header("authorization", "Bearer fresh-0");
            then.status(200).json_body(json!([{"id": 0}]));
        })
        .await;
    let (source, fetches) = source();
    let client = emnify(&server.base_url(), Credentials::BearerSource(source));
    let types = client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!(types[0].id, 0);
    stale.assert_calls_async(1).await;
    fresh.assert_calls_async(1).await;
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_is_returned_not_replayed_again() {
    let server = MockServer::start_async().await;
    let rejecting = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(401);
        })
        .await;
    let (source, fetches) = source();
    let client = emnify(&server.base_url(), Credentials::BearerSource(source));
    let error = client
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(UserMfaTypeGetError::Unauthorized { .. })
        ),
        "{error:?}"
    );
    rejecting.assert_calls_async(2).await;
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}
