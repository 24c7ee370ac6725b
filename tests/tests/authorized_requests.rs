//! Requests to any endpoint of a vendor with the client's token (`client.request(method, path)`):
//! against the fakes for the flows people use, against httpmock for exactly what is sent.

use auth_core::{ApiErrorKind, Credentials, Error, ErrorMetadata, Method, RetryPolicy};
use httpmock::prelude::*;
use serde::Deserialize;
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::fakes::plex::{PlexConfig, PlexFake};
use workspace_tests::{dintero_of_fake, emnify, emnify_logged_in, plex_of_fake};

#[derive(Debug, Deserialize)]
struct Endpoint {
    id: u64,
    name: String,
}

#[tokio::test]
async fn emnify_lists_endpoints_with_the_login_token() {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;

    let endpoints: Vec<Endpoint> = client
        .request(Method::GET, "/api/v1/endpoint")
        .query("per_page", 1)
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(
        (endpoints[0].id, endpoints[0].name.as_str()),
        (11, "Tracker 1")
    );
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_replays_the_request() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;
    fake.expire_auth_tokens();

    // The token is still valid by our clock: the fake's 401 makes the client refresh it (with
    // the login's refresh token) and send the request once more.
    let answer = client
        .request(Method::GET, "/api/v1/endpoint")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(fake.rejected(), 1);
    assert_eq!(fake.refreshes(), 1);
}

#[tokio::test]
async fn an_error_status_is_an_error_of_json_and_a_status_of_send() {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_logged_in(&server.url(), &config).await;

    let answer = client
        .request(Method::DELETE, "/api/v1/user/1/mfa/999")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    assert!(answer.text().contains("MFA key not found"));

    let error = answer.json::<serde_json::Value>().unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!((error.api(), error.operation()), ("emnify", "request"));
    assert!(matches!(
        error.kind(),
        ApiErrorKind::Other(Error::UnexpectedStatus(_))
    ));
}

#[tokio::test]
async fn a_path_must_start_with_a_slash_and_stay_on_the_server() {
    let client = emnify("https://cdn.emnify.net", Credentials::bearer("t"));
    for path in ["api/v1/endpoint", "/api#fragment", "@evil.example/x"] {
        let error = client.request(Method::GET, path).send().await.unwrap_err();
        assert!(
            matches!(error.kind(), ApiErrorKind::Other(Error::InvalidRequest(_))),
            "{path}: {error:?}"
        );
        assert_eq!(error.api(), "emnify");
    }
}

#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: String,
}

#[tokio::test]
async fn dintero_creates_a_checkout_session_on_the_checkout_server() {
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = dintero_of_fake(&server.url(), &config);
    let client = dintero_auth::Client::from(
        client
            .core()
            .with_server_url(dintero_auth::Server::Checkout, &server.url())
            .unwrap(),
    );

    let session: Session = client
        .request_to(
            dintero_auth::Server::Checkout,
            Method::POST,
            "/sessions-profile",
        )
        .json(&serde_json::json!({
            "url": {"return_url": "https://example.com/thanks"},
            "order": {"amount": 29990, "currency": "NOK", "merchant_reference": "order-1"},
            "profile_id": "default",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(session.id.starts_with(&config.account_id));
    assert!(session.url.ends_with(&session.id));
}

#[tokio::test]
async fn plex_lists_libraries_with_the_identity_and_the_token() {
    let config = PlexConfig {
        two_factor_code: None,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = plex_of_fake(&servers);
    let logged_in = match client
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    {
        plex_auth::LoginOutcome::LoggedIn(logged_in) => logged_in.client,
        other => panic!("expected a login, got {other:?}"),
    };

    // The fake refuses requests without `X-Plex-Client-Identifier` or a valid `X-Plex-Token`.
    let libraries: serde_json::Value = logged_in
        .request(Method::GET, "/library/sections")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    let titles: Vec<&str> = libraries["MediaContainer"]["Directory"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["title"].as_str())
        .collect();
    assert_eq!(titles, ["Movies", "TV Shows"]);

    let anonymous = client
        .request(Method::GET, "/library/sections")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn exactly_what_is_sent_and_what_is_retried() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/endpoint/7")
                .query_param("q", "a b")
                .header("authorization", "Bearer the-token")
                .header("x-trace", "1");
            then.status(200)
                .json_body(serde_json::json!({"id": 7, "name": "n"}));
        })
        .await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/endpoint")
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"name": "n"}));
            then.status(503);
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::bearer("the-token")).with_retry(
        RetryPolicy::default()
            .max_attempts(3)
            .initial_backoff(std::time::Duration::from_millis(1)),
    );

    let endpoint: Endpoint = client
        .request(Method::GET, "/api/v1/endpoint/7")
        .query("q", "a b")
        .header("x-trace", 1)
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(endpoint.id, 7);
    get.assert_async().await;

    // A POST may have been acted on: a 503 is not repeated unless the caller says it is safe.
    let body = serde_json::json!({"name": "n"});
    let answer = client
        .request(Method::POST, "/api/v1/endpoint")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(post.calls_async().await, 1);
    let error = client
        .request(Method::POST, "/api/v1/endpoint")
        .json(&body)
        .retry_safe()
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert!(matches!(error.kind(), ApiErrorKind::ServerError(_)));
    assert_eq!(post.calls_async().await, 4);
}

#[tokio::test]
async fn without_credentials_nothing_is_sent_and_debug_shows_no_secret() {
    let server = MockServer::start_async().await;
    let public = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/status")
                .header_missing("authorization");
            then.status(204);
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::None);
    let answer = client.request(Method::GET, "/status").send().await.unwrap();
    assert_eq!(answer.status(), 204);
    public.assert_async().await;

    let request = emnify(&server.base_url(), Credentials::bearer("secret-token"))
        .request(Method::POST, "/x")
        .header("x-api-secret", "secret-header")
        .json(&serde_json::json!({"password": "secret-body"}));
    let shown = format!("{request:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
