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
    let profile = account.profile.as_ref().unwrap();
    assert_eq!(
        profile.auto_select_subtitle,
        AutoSelectSubtitleMode::AlwaysEnabled
    );
    assert_eq!(profile.media_reviews_visibility, Some(Toggle::Unknown(7)));
    assert_eq!(account.trials.as_ref().map(Vec::len), Some(1));
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
    assert_eq!(account.mailing_list_status, Some(MailingListStatus::Active));
    assert_eq!(
        account.services.as_deref().unwrap()[0].status,
        ServiceStatus::Online
    );
}

#[tokio::test]
async fn token_details_need_only_the_fields_that_identify_the_account() {
    // The ten fields the community spec requires since its rewrite from recorded answers; every
    // descriptive field (profile, services, subscription, ads consent...) may be missing, and
    // the mailing-list status may be `removed`.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v2/user");
            then.status(200).json_body(json!({
                "id": 42, "uuid": "a1b2c3", "username": "kid", "title": "Kid",
                "friendlyName": "Kid", "email": "", "authToken": "managed-user-token",
                "hasPassword": false, "twoFactorEnabled": false, "joinedAt": 1556281940,
                "mailingListStatus": "removed", "rememberExpiresAt": null
            }));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let account = client.authentication().get_token_details().await.unwrap();
    assert_eq!(account.id, 42);
    assert_eq!(account.auth_token.expose(), "managed-user-token");
    assert_eq!(account.profile, None);
    assert_eq!(account.services, None);
    assert_eq!(
        account.mailing_list_status,
        Some(MailingListStatus::Removed)
    );
    assert_eq!(account.remember_expires_at, None);

    // A descriptive field that is null reads as unset, like a missing one (a managed user's
    // mailing-list status; the recorded sign-ins in tests/fixtures/plex null several others).
    let managed: plex_auth::models::UserPlexAccount = serde_json::from_value(json!({
        "id": 43, "uuid": "d4e5f6", "username": "", "title": "Kid", "friendlyName": "",
        "email": "", "authToken": "t", "hasPassword": false, "twoFactorEnabled": false,
        "joinedAt": 0, "mailingListStatus": null, "locale": null, "restricted": true
    }))
    .unwrap();
    assert_eq!(managed.mailing_list_status, None);
    assert_eq!(managed.restricted, Some(true));
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
    let client = workspace_tests::plex_identity()
        .builder()
        .credentials(Credentials::api_key(TOKEN))
        .build()
        .unwrap();
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

fn pin(auth_token: Option<&str>) -> serde_json::Value {
    json!({
        "id": 1234567, "code": "ABCD", "product": "auth-client tests", "trusted": false,
        "qr": "https://plex.tv/api/v2/pins/qr/ABCD", "clientIdentifier": "test-client-id",
        "location": {"code": "NO", "country": "Norway"}, "expiresIn": 1800,
        "createdAt": "2026-11-29T10:00:00Z", "expiresAt": "2026-11-29T10:30:00Z",
        "authToken": auth_token, "newRegistration": null
    })
}

#[tokio::test]
async fn create_pin_posts_strong_without_a_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/pins")
                .query_param("strong", "true")
                .header_missing("x-plex-token");
            then.status(201).json_body(pin(None));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let created = client
        .authentication()
        .create_pin(Some(true), None)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!((created.id, created.code.as_str()), (1234567, "ABCD"));
    assert_eq!(created.expires_in, Some(1800));
    assert!(created.auth_token.is_none());
}

#[tokio::test]
async fn a_pin_with_a_device_key_posts_the_jwk_and_polls_with_a_device_jwt() {
    let server = MockServer::start_async().await;
    let created = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/pins")
                .header("content-type", "application/json")
                .json_body(json!({"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "eA", "kid": "k1", "alg": "EdDSA"}, "strong": true}))
                .header_missing("x-plex-token");
            then.status(201).json_body(pin(None));
        })
        .await;
    let polled = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/pins/1234567")
                .query_param("deviceJWT", "header.claims.signature");
            then.status(200).json_body(pin(Some("a-plex-jwt")));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::None);
    let body = PinRequest::new()
        .with_jwk(
            Jwk::new("OKP", "Ed25519", "eA")
                .with_kid("k1")
                .with_alg("EdDSA"),
        )
        .with_strong(true);
    let pin = client
        .authentication()
        .create_pin(None, Some(&body))
        .await
        .unwrap();
    let device_jwt = Secret::from("header.claims.signature");
    let linked = client
        .authentication()
        .get_pin(pin.id, Some(&device_jwt))
        .await
        .unwrap();
    created.assert_async().await;
    polled.assert_async().await;
    assert_eq!(linked.auth_token.unwrap().expose(), "a-plex-jwt");
}

#[tokio::test]
async fn get_pin_decodes_the_linked_token_and_an_expired_pin() {
    let server = MockServer::start_async().await;
    let linked = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/pins/1234567");
            then.status(200).json_body(pin(Some("linked-token")));
        })
        .await;
    let expired = server
        .mock_async(|when, then| {
            identity_headers(when).method(GET).path("/api/v2/pins/99");
            then.status(404).json_body(
                json!({"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}),
            );
        })
        .await;
    let client = plex(&server.base_url(), Credentials::None);
    let got = client
        .authentication()
        .get_pin(1234567, None)
        .await
        .unwrap();
    linked.assert_async().await;
    assert_eq!(got.auth_token.unwrap().expose(), "linked-token");

    let error = client.authentication().get_pin(99, None).await.unwrap_err();
    expired.assert_async().await;
    assert!(matches!(
        error.documented(),
        Some(GetPinError::NotFound(Some(_)))
    ));
}

#[tokio::test]
async fn get_resources_sends_the_token_and_decodes_connections() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/resources")
                .query_param("includeHttps", "1")
                .query_param("includeRelay", "1")
                .header("x-plex-token", TOKEN);
            then.status(200).json_body(json!([{
                "name": "Home Server", "product": "Plex Media Server", "productVersion": "1.41.0",
                "platform": "Linux", "platformVersion": "6.1", "device": "PC",
                "clientIdentifier": "machine-1", "createdAt": "2020-01-01T00:00:00Z",
                "lastSeenAt": "2026-11-29T10:00:00Z", "provides": "server", "ownerId": null,
                "sourceTitle": null, "publicAddress": "203.0.113.7", "accessToken": "server-token",
                "owned": true, "home": false, "synced": false, "relay": true, "presence": true,
                "httpsRequired": false, "publicAddressMatches": true,
                "dnsRebindingProtection": false, "natLoopbackSupported": false,
                "connections": [
                    {"protocol": "https", "address": "192.168.1.10", "port": 32400,
                     "uri": "https://192-168-1-10.abc.plex.direct:32400", "local": true, "relay": false, "IPv6": false},
                    {"protocol": "https", "address": "203.0.113.7", "port": 32400,
                     "uri": "https://203-0-113-7.abc.plex.direct:32400", "local": false, "relay": false, "IPv6": false}
                ]
            }]));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let resources = client
        .authentication()
        .get_resources(Some(1), Some(1), None)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(resources.len(), 1);
    let server_resource = &resources[0];
    assert_eq!(
        server_resource.access_token.as_ref().unwrap().expose(),
        "server-token"
    );
    assert_eq!(server_resource.connections.as_ref().unwrap().len(), 2);
    assert!(!format!("{server_resource:?}").contains("server-token"));
}

#[tokio::test]
async fn the_jwt_device_operations_send_what_plex_documents() {
    let server = MockServer::start_async().await;
    let register = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/auth/jwk")
                .header("x-plex-token", TOKEN)
                .json_body(json!({"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "pub", "kid": "k1", "use": "sig", "alg": "EdDSA"}}));
            then.status(201);
        })
        .await;
    let nonce = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/auth/nonce")
                .header_missing("x-plex-token");
            then.status(200).json_body(json!({"nonce": "n-1"}));
        })
        .await;
    let exchange = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/auth/token")
                .json_body(json!({"jwt": "signed.device.jwt"}));
            then.status(200)
                .json_body(json!({"auth_token": "plex-jwt"}));
        })
        .await;
    let keys = server
        .mock_async(|when, then| {
            identity_headers(when).method(GET).path("/api/v2/auth/keys");
            then.status(200).json_body(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "plex-pub", "kid": "plex-1"}]}));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let api = client.authentication();
    let jwk = Jwk::new("OKP", "Ed25519", "pub")
        .with_kid("k1")
        .with_use("sig")
        .with_alg("EdDSA");
    api.register_jwk(&RegisterJwkRequest::new(jwk))
        .await
        .unwrap();
    register.assert_async().await;

    let anonymous = client.with_credentials(Credentials::None);
    let api = anonymous.authentication();
    assert_eq!(api.get_nonce().await.unwrap().nonce, "n-1");
    nonce.assert_async().await;
    let token = api
        .exchange_jwt(&ExchangeJwtRequest::new(Secret::new("signed.device.jwt")))
        .await
        .unwrap();
    exchange.assert_async().await;
    assert_eq!(token.auth_token.expose(), "plex-jwt");
    let set = api.get_plex_keys().await.unwrap();
    keys.assert_async().await;
    assert_eq!(set.keys[0].kid.as_deref(), Some("plex-1"));
}

#[tokio::test]
async fn get_home_users_reads_the_home_and_managed_users_without_names() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/home/users")
                .header("x-plex-token", TOKEN);
            then.status(200).json_body(json!({
                "id": 1234567, "name": "Home", "guestUserID": null, "guestUserUUID": null,
                "guestEnabled": false, "subscription": true,
                "users": [
                    {"id": 13692262, "uuid": "dae343c1f45beb4f", "title": "User", "username": "user",
                     "email": "user@example.org", "friendlyName": "", "thumb": "https://plex.tv/users/x/avatar",
                     "hasPassword": true, "restricted": false, "updatedAt": 1764000000, "admin": true,
                     "guest": false, "protected": true},
                    {"id": 13692263, "uuid": "0a1b2c3d4e5f6a7b", "title": "Kids", "username": null,
                     "email": null, "thumb": "https://plex.tv/users/y/avatar", "hasPassword": false,
                     "restricted": true, "updatedAt": null, "admin": false, "guest": false,
                     "protected": false, "restrictionProfile": "little_kid"}
                ]
            }));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let home = client.authentication().get_home_users().await.unwrap();
    mock.assert_async().await;
    assert_eq!(home.users.len(), 2);
    assert_eq!(home.users[0].protected, Some(true));
    assert_eq!(home.users[1].uuid, "0a1b2c3d4e5f6a7b");
    assert_eq!(home.users[1].username, None);
}

#[tokio::test]
async fn switch_home_user_sends_the_pin_in_the_query_and_reads_the_new_token() {
    let server = MockServer::start_async().await;
    let switched = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(POST)
                .path("/api/v2/home/users/0a1b2c3d4e5f6a7b/switch")
                .query_param("pin", "2468")
                .header("x-plex-token", TOKEN);
            then.status(201).json_body(json!({
                "id": 13692263, "uuid": "0a1b2c3d4e5f6a7b", "title": "Kids", "username": null,
                "email": null, "authToken": "home-user-token", "home": true, "homeSize": 2,
                "profile": {"defaultAudioLanguages": "en,nb"}, "restricted": true
            }));
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v2/home/users/0a1b2c3d4e5f6a7b/switch")
                .query_param_missing("pin");
            then.status(403).json_body(
                json!({"errors": [{"code": 1041, "message": "Invalid PIN", "status": 403}]}),
            );
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let pin = Secret::from("2468");
    let account = client
        .authentication()
        .switch_home_user("0a1b2c3d4e5f6a7b", Some(&pin))
        .await
        .unwrap();
    switched.assert_async().await;
    assert_eq!(account.auth_token.expose(), "home-user-token");
    assert!(!format!("{account:?}").contains("home-user-token"));

    let error = client
        .authentication()
        .switch_home_user("0a1b2c3d4e5f6a7b", None)
        .await
        .unwrap_err();
    refused.assert_async().await;
    assert!(matches!(
        error.documented(),
        Some(SwitchHomeUserError::Forbidden(Some(_)))
    ));
    use plex_auth::VendorCode as _;
    assert_eq!(
        error.vendor_code(),
        Some(plex_auth::PlexCode::ManagedUserPinRequired)
    );
}

#[tokio::test]
async fn ping_and_sign_out_send_the_token_and_read_no_body() {
    let server = MockServer::start_async().await;
    let ping = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(GET)
                .path("/api/v2/ping")
                .header("x-plex-token", TOKEN);
            // The body is undocumented (python-plexapi reads XML text); whatever it is, it is not read.
            then.status(200)
                .header("content-type", "application/xml")
                .body("<?xml version=\"1.0\"?><pong>true</pong>");
        })
        .await;
    let sign_out = server
        .mock_async(|when, then| {
            identity_headers(when)
                .method(DELETE)
                .path("/api/v2/users/signout")
                .header("x-plex-token", TOKEN);
            then.status(204);
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    client.authentication().ping_token().await.unwrap();
    client.authentication().sign_out().await.unwrap();
    ping.assert_async().await;
    sign_out.assert_async().await;

    let rejected = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2/ping")
                .header("x-plex-token", "revoked");
            then.status(401).json_body(unauthorized());
        })
        .await;
    let revoked = client.with_token("revoked");
    let error = revoked.authentication().ping_token().await.unwrap_err();
    rejected.assert_async().await;
    assert!(matches!(
        error.documented(),
        Some(PingTokenError::Unauthorized(Some(_)))
    ));
}

#[tokio::test]
async fn a_pin_echoed_back_in_an_error_body_is_masked() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v2/home/users/u1/switch");
            then.status(403).json_body(json!({"errors": [{"code": 1041,
                "message": "Invalid PIN 97531 for this user", "status": 403}]}));
        })
        .await;
    let client = plex(&server.base_url(), Credentials::api_key(TOKEN));
    let pin = Secret::from("97531");
    let error = client
        .authentication()
        .switch_home_user("u1", Some(&pin))
        .await
        .unwrap_err();
    use auth_core::ErrorMetadata as _;
    let shown = format!(
        "{error} {error:?} {}",
        error.response_meta().unwrap().masked_excerpt()
    );
    assert!(shown.contains("Invalid PIN"), "{shown}");
    assert!(!shown.contains("97531"), "{shown}");
}
