//! One error shape: every operation fails with `ApiError<E>`, whose `Display` names the operation
//! and prints its own layer only (the chain is rendered once), with kinds of their own for 429
//! and 5xx, a decode error that names the field path, and a typed token-refresh failure.

use std::error::Error as _;

use auth_core::{ApiErrorKind, Credentials, Error, ErrorMetadata, TokenErrorKind};
use emnify_auth::{ApplicationToken, PasswordLogin};
use httpmock::prelude::*;
use serde_json::json;
use workspace_tests::{dintero, emnify, plex};

/// The error and its sources, one line per layer.
fn layers(error: &dyn std::error::Error) -> Vec<String> {
    let mut layers = vec![error.to_string()];
    let mut source = error.source();
    while let Some(next) = source {
        layers.push(next.to_string());
        source = next.source();
    }
    layers
}

#[tokio::test]
async fn a_nested_error_renders_each_layer_once() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(401)
                .header("x-amzn-requestid", "req-401")
                .json_body(json!({"message": "bad credentials"}));
        })
        .await;
    let base = emnify(&server.base_url(), Credentials::None);
    let client = base.with_token_provider(PasswordLogin::new(&base, "user", "wrong"));
    let error = client
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();

    let ApiErrorKind::Other(Error::TokenRefresh(refresh)) = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(refresh.kind(), TokenErrorKind::Rejected);
    assert_eq!(refresh.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(
        layers(&error),
        [
            "emnify user_mfa_type_get: could not get a token: the token endpoint refused the credentials",
            "emnify authenticate: HTTP 401 Unauthorized (request id req-401)",
        ]
    );
    let rendered = layers(&error).join(": ");
    for layer in layers(&error) {
        assert_eq!(
            rendered.matches(&layer).count(),
            1,
            "{layer:?} in {rendered}"
        );
    }
}

#[tokio::test]
async fn an_unattended_login_that_needs_a_code_is_interaction_required() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(200).json_body(json!({"mfa_token": "mfa-1"}));
        })
        .await;
    let base = emnify(&server.base_url(), Credentials::None);
    let client = base.with_token_provider(PasswordLogin::new(&base, "user", "password"));
    let error = client.bearer_token().await.unwrap_err();
    assert!(
        matches!(&error, Error::TokenRefresh(e) if e.kind() == TokenErrorKind::InteractionRequired),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_throttled_token_endpoint_is_unavailable_with_its_retry_after() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(429).header("retry-after", "9");
        })
        .await;
    // Without retries of the token request itself, the source gets the 429 at once.
    let base = emnify(&server.base_url(), Credentials::None)
        .with_retry(auth_core::RetryPolicy::disabled());
    let client = base.with_token_provider(ApplicationToken::new(&base, "app"));
    let Err(Error::TokenRefresh(refresh)) = client.bearer_token().await else {
        panic!("expected a failed refresh");
    };
    assert_eq!(refresh.kind(), TokenErrorKind::Unavailable);
    assert_eq!(
        refresh.retry_after(),
        Some(std::time::Duration::from_secs(9))
    );
}

#[tokio::test]
async fn too_many_requests_and_server_errors_are_kinds_on_every_vendor() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(429).header("retry-after", "0");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T1/auth/mfa/challenge");
            then.status(500)
                .json_body(json!({"error": {"message": "boom"}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/user");
            then.status(503).body("down");
        })
        .await;
    let no_retry = auth_core::RetryPolicy::disabled();

    let error = emnify(&server.base_url(), Credentials::bearer("t"))
        .with_retry(no_retry)
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ApiErrorKind::TooManyRequests(_)),
        "{error:?}"
    );
    assert_eq!(error.retry_after(), Some(std::time::Duration::ZERO));
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        "emnify user_mfa_type_get: too many requests (HTTP 429), retry after 0 s"
    );

    let body = dintero_auth::models::AuthChallenge::new("mfa");
    let error = dintero(&server.base_url(), Credentials::bearer("t"))
        .with_retry(no_retry)
        .challenge()
        .aid_auth_mfa_challenge_post("T1", &body)
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ApiErrorKind::ServerError(_)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "dintero aid_auth_mfa_challenge_post: server error (HTTP 500 Internal Server Error)"
    );
    assert_eq!(
        dintero_auth::VendorCode::vendor_code(&error),
        None,
        "the body had no code"
    );

    let error = plex(&server.base_url(), Credentials::api_key("t"))
        .with_retry(no_retry)
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ApiErrorKind::ServerError(_)),
        "{error:?}"
    );
    assert_eq!(error.operation(), "get_token_details");
    assert_eq!(error.api(), "plex");
}

#[tokio::test]
async fn a_decode_error_names_the_field_path() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(200)
                .json_body(json!([{"id": 0, "description": "TOTP"}, {"id": "one"}]));
        })
        .await;
    let error = emnify(&server.base_url(), Credentials::bearer("t"))
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let ApiErrorKind::Other(Error::Decode { path, message, .. }) = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(path, "[1].id");
    assert!(!message.contains("one"), "values are left out: {message}");
    assert!(
        error.to_string().starts_with(
            "emnify user_mfa_type_get: could not decode the HTTP 200 OK response body at `[1].id`"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_documented_error_keeps_its_typed_body_and_names_the_operation() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/8/mfa/trusted_device");
            then.status(404).json_body(
                json!({"error_code": 1401, "error_token": "InvalidReference", "message": "secret-echo"}),
            );
        })
        .await;
    let error = emnify(&server.base_url(), Credentials::bearer("t"))
        .authentication()
        .user_mfa_trusted_device_by_user_id_get(8)
        .await
        .unwrap_err();
    let Some(emnify_auth::errors::UserMfaTrustedDeviceByUserIdGetError::NotFound(Some(body))) =
        error.documented()
    else {
        panic!("{error:?}");
    };
    assert_eq!(body.message.as_deref(), Some("secret-echo"));
    assert_eq!(
        error.to_string(),
        "emnify user_mfa_trusted_device_by_user_id_get: HTTP 404 Not Found"
    );
    let debug = format!("{error:?}");
    assert!(debug.contains("NotFound"), "{debug}");
    assert!(error.source().is_none());
}
