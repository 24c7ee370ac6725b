//! Every Plex operation against httpmock: the exact request (identity headers, token, JSON),
//! the documented success, and a documented error decoded into its variant.

use auth_core::{Credentials, Secret};
use httpmock::prelude::*;
use plex_auth::errors::*;
use plex_auth::models::*;
use serde_json::json;
use workspace_tests::plex;

const TOKEN: &str = "plex-account-token";

fn identity_headers(when: httpmock::When) -> httpmock::When {
    when.header("x-plex-client-identifier", "test-client-id")
        .header("x-plex-product", "auth-client tests")
        .header("x-plex-version", "1.0")
        .header("x-plex-platform", "Linux")
        .header("x-plex-device", "ci")
        .header("accept", "application/json")
}

fn unauthorized() -> serde_json::Value {
    json!({"errors": [{"code": 1001, "message": "User could not be authenticated", "status": 401}]})
}

fn account() -> serde_json::Value {
    json!({
        "adsConsent": null, "adsConsentReminderAt": null, "adsConsentSetAt": null, "anonymous": false,
        "authToken": "issued-token", "backupCodesCreated": false, "confirmed": true, "country": "US",
        "email": "user@example.org", "emailOnlyAuth": false, "experimentalFeatures": false,
        "friendlyName": "User", "entitlements": ["ios"], "guest": false, "hasPassword": true,
        "home": false, "homeAdmin": false, "homeSize": 1, "id": 13692262, "joinedAt": 1556281940,
        "locale": null, "mailingListActive": false, "mailingListStatus": "active", "maxHomeSize": 15,
        "profile": {
            "autoSelectAudio": true, "defaultAudioLanguage": "ja", "defaultSubtitleLanguage": null,
            "autoSelectSubtitle": 2, "defaultSubtitleAccessibility": 1, "defaultSubtitleForced": 0,
            "watchedIndicator": 1, "mediaReviewsVisibility": 7
        },
        "protected": false, "rememberExpiresAt": 1556281940, "restricted": false, "scrobbleTypes": "",
        "services": [{"identifier": "metadata", "endpoint": "https://epg.example", "token": "svc-token",
                      "secret": null, "status": "online"}],
        "subscription": {"active": true, "status": "Active", "features": ["pass"], "subscribedAt": null,
                         "paymentService": null, "plan": null},
        "subscriptionDescription": null, "thumb": "https://plex.tv/users/x/avatar", "title": "User",
        "twoFactorEnabled": true, "username": "user", "uuid": "dae343c1f45beb4f", "attributionPartner": null
    })
}

#[tokio::test]
async fn sign_in_posts_the_form_without_a_token() {
    let server = MockServer::start_async().await;
    let mut answer = account();
    answer["pastSubscriptions"] = json!([]);
    answer["trials"] = json!([{"anything": 1}]);
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/users/signin")
                .header("content-type", "application/x-www-form-urlencoded")
                .header_missing("x-plex-token")
                .body("login=user%40example.org&password=p%26ss+word&verificationCode=123456");
            then.status(201).json_body(answer);
        })
        .await;
    let client = plex(&server.base_url(), Credentials::None);
    let form = SignInRequest::new("user@example.org", "p&ss word").with_verification_code("123456");
    let account = client
        .authentication()
        .post_users_sign_in_data(&form)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(account.auth_token.expose(), "issued-token");
    assert_eq!(account.id, 13692262);
    assert_eq!(
        account.profile.auto_select_subtitle,
        AutoSelectSubtitleMode::AlwaysEnabled
    );
    assert_eq!(account.profile.media_reviews_visibility, Toggle::Unknown(7));
    assert_eq!(account.trials.len(), 1);
}

#[tokio::test]
async fn sign_in_rejected_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v2/users/signin");
            then.status(401).json_body(unauthorized());
        })
        .await;
    let client = plex(&server.base_url(), Credentials::None);
    let form = SignInRequest::new("user@example.org", Secret::new("wrong"));
    let error = client
        .authentication()
        .post_users_sign_in_data(&form)
        .await
        .unwrap_err();
    let Some(PostUsersSignInDataError::Unauthorized(Some(rejected))) = error.documented() else {
        panic!("expected 401, got {error:?}");
    };
    assert_eq!(rejected.errors.as_ref().unwrap()[0].code, Some(1001));
}

#[tokio::test]
async fn token_details_sends_the_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/user")
                .header("x-plex-token", TOKEN);
            then.status(200).json_body(account());
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let account = client.authentication().get_token_details().await.unwrap();
    mock.assert_async().await;
    assert_eq!(account.username, "user");
    assert_eq!(account.mailing_list_status, MailingListStatus::Active);
    assert_eq!(account.services[0].status, ServiceStatus::Online);
}

#[tokio::test]
async fn token_details_bad_request_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/user");
            then.status(400).json_body(json!({"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing", "status": 400}]}));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let error = client
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetTokenDetailsError::BadRequest { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn transient_token_asks_the_media_server_for_json() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/security/token")
                .query_param("type", "delegation")
                .query_param("scope", "all")
                .header("x-plex-token", TOKEN);
            then.status(200)
                .json_body(json!({"MediaContainer": {"size": 0, "token": "transient-abc"}}));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let answer = client
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(answer.media_container.token.expose(), "transient-abc");
}

#[tokio::test]
async fn transient_token_unauthorized_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/security/token");
            then.status(401).json_body(unauthorized());
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key("expired"));
    let error = client
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetTransientTokenError::Unauthorized { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn source_connection_information_reads_devices() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/security/resources")
                .query_param("source", "server://abc 123")
                .header("x-plex-token", TOKEN);
            then.status(200).json_body(json!({"MediaContainer": {"size": 1, "Device": [{
                "name": "shared", "clientIdentifier": "abc", "accessToken": "device-token",
                "Connection": [{"protocol": "https", "address": "10.0.0.2", "port": 32400,
                                 "uri": "https://10-0-0-2.example.plex.direct:32400", "local": true}]
            }]}}));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let info = client
        .authentication()
        .get_source_connection_information("server://abc 123")
        .await
        .unwrap();
    mock.assert_async().await;
    let device = &info.media_container.device.unwrap()[0];
    assert_eq!(
        device.access_token.as_ref().unwrap().expose(),
        "device-token"
    );
    assert_eq!(device.connection.as_ref().unwrap()[0].port, Some(32400));
}

#[tokio::test]
async fn source_connection_information_bad_request_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/security/resources");
            then.status(400).json_body(
                json!({"errors": [{"code": 1000, "message": "bad source", "status": 400}]}),
            );
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let error = client
        .authentication()
        .get_source_connection_information("nope")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetSourceConnectionInformationError::BadRequest { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn media_server_operations_need_a_server_url() {
    let core = workspace_tests::plex_identity()
        .builder()
        .credentials(Credentials::api_key(TOKEN))
        .build()
        .unwrap();
    let client = plex_auth::Client::from(core);
    let error = client
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(auth_core::Error::MissingServerUrl(_))
        ),
        "{error:?}"
    );
}
