//! Credentials never follow a redirect to another origin; same-origin redirects are followed.

use auth_core::{Credentials, Error};
use httpmock::prelude::*;
use serde_json::json;

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = MockServer::start_async().await;
    let catch_all = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!([]));
        })
        .await;
    let origin = MockServer::start_async().await;
    origin
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(307)
                .header("location", elsewhere.url("/api/v1/user/mfa/type"));
        })
        .await;
    origin
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/user");
            then.status(302)
                .header("location", elsewhere.url("/api/v2/user"));
        })
        .await;

    // Bearer token (emnify): the 307 comes back as an undocumented status.
    let emnify = workspace_tests::emnify(&origin.base_url(), Credentials::bearer("secret-token"));
    let error = emnify
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), auth_core::ApiErrorKind::Other(Error::UnexpectedStatus(meta)) if meta.status() == 307),
        "{error:?}"
    );
    // API key in X-Plex-Token (Plex), which HTTP clients do not know to strip.
    let plex = workspace_tests::plex(&origin.base_url(), Credentials::api_key("secret-key"));
    let error = plex.authentication().get_token_details().await.unwrap_err();
    assert_eq!(
        auth_core::ErrorMetadata::status(&error).map(|s| s.as_u16()),
        Some(302)
    );
    catch_all.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_the_credentials() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(307)
                .header("location", "/api/v1/user/mfa/type-moved");
        })
        .await;
    let moved = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/type-moved")
                .header("authorization", "Bearer secret-token");
            then.status(200).json_body(json!([{"id": 0}]));
        })
        .await;
    let client = workspace_tests::emnify(&server.base_url(), Credentials::bearer("secret-token"));
    let types = client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!(types.len(), 1);
    moved.assert_async().await;
}
