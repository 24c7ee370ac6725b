//! Every recorded vendor answer in `tests/fixtures/` (sources in `tests/fixtures/SOURCES.md`),
//! served with its status and content type and decoded by the generated operation it belongs
//! to; each test checks the values that matter. A fixture is never edited to make a test pass.

use std::time::Duration;

use auth_core::{Credentials, ErrorMetadata, Secret, Token};
use httpmock::prelude::*;
use workspace_tests::{dintero, emnify, plex};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// A server answering `name` with `status` and `content_type` to `method path`.
async fn serving(
    name: &str,
    method: httpmock::Method,
    path: &str,
    status: u16,
    content_type: &str,
) -> MockServer {
    let server = MockServer::start_async().await;
    let body = fixture(name);
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            then.status(status)
                .header("content-type", content_type)
                .header("x-amzn-requestid", "recorded-request-id")
                .body(body);
        })
        .await;
    server
}

/// The fixtures these tests use; `every_fixture_is_tested_and_sourced` checks the folder.
const TESTED: &[&str] = &[
    "plex/get_token_details_422_invalid_token.xml",
    "plex/media_server_401.html",
    "plex/media_server_401_plain.html",
    "plex/sign_in_401_verification_code.json",
    "plex/sign_in_401_verification_code.xml",
    "plex/sign_in_401_repeated_failures.xml",
    "plex/sign_in_201_account.json",
    "plex/sign_in_201_account_null_languages.json",
    "plex/get_token_details_200_free.json",
    "plex/get_token_details_200_free_guest.json",
    "plex/get_token_details_200_plexpass.json",
    "plex/get_token_details_200_plexpass_guest.json",
    "emnify/authenticate_200_application_token.json",
    "emnify/authenticate_200_redacted_token.json",
    "emnify/unauthorized_401_token_segments.json",
    "emnify/not_found_404_invalid_reference.json",
    "emnify/bad_request_400.json",
    "emnify/unprocessable_422_empty.html",
    "emnify/doc_authenticate_200_user.json",
    "emnify/doc_authenticate_200_application.json",
    "emnify/doc_authenticate_200_mfa_required.json",
    "emnify/doc_authenticate_404.json",
    "emnify/doc_post_mfa_200.json",
    "emnify/doc_post_mfa_409.json",
    "emnify/doc_post_mfa_422.json",
    "emnify/doc_user_mfa_by_id_patch_422.json",
    "emnify/doc_user_mfa_status_get_200.json",
    "emnify/doc_user_mfa_type_get_200.json",
    "emnify/doc_trusted_device_get_200.json",
    "emnify/doc_trusted_device_get_404.json",
    "emnify/doc_application_token_get_200.json",
    "emnify/doc_application_token_post_200.json",
    "emnify/doc_application_token_post_422.json",
    "dintero/doc_token_200_client_credentials.json",
    "dintero/doc_token_200_with_refresh_token.json",
    "dintero/doc_mfa_challenge_200.json",
    "dintero/doc_exchange_token_200.json",
];

#[test]
fn every_fixture_is_tested_and_sourced() {
    let sources = std::fs::read_to_string(format!("{DIR}/SOURCES.md")).unwrap();
    let mut found = Vec::new();
    for vendor in ["plex", "emnify", "dintero"] {
        for entry in std::fs::read_dir(format!("{DIR}/{vendor}")).unwrap() {
            let name = format!("{vendor}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(TESTED.contains(&name.as_str()), "{name} is not tested");
            assert!(
                sources.contains(&format!("`{name}`")),
                "{name} has no source in SOURCES.md"
            );
            found.push(name);
        }
    }
    assert_eq!(
        found.len(),
        TESTED.len(),
        "a tested fixture is missing: {found:?}"
    );
    assert!(found.len() >= 25, "{} fixtures", found.len());
}

// Plex

fn plex_media(url: &str) -> plex_auth::Client {
    plex(url, Credentials::api_key("token"))
}

#[tokio::test]
async fn plex_tv_rejects_a_token_with_422_and_xml() {
    use plex_auth::errors::GetTokenDetailsError;
    let server = serving(
        "plex/get_token_details_422_invalid_token.xml",
        GET,
        "/api/v2/user",
        422,
        "application/xml",
    )
    .await;
    let error = plex_media(&server.base_url())
        .authentication()
        .get_token_details()
        .await
        .unwrap_err();
    let Some(GetTokenDetailsError::UnprocessableEntity(rejected)) = error.documented() else {
        panic!("{error:?}");
    };
    assert!(rejected.is_none(), "XML is no JSON body");
    let excerpt = error.response_meta().unwrap().raw_body_excerpt();
    assert!(String::from_utf8_lossy(excerpt).contains("Invalid token"));
    assert_eq!(plex_auth::VendorCode::vendor_code(&error), None);
}

#[tokio::test]
async fn a_media_server_401_in_html_is_the_typed_unauthorized() {
    use plex_auth::errors::{GetSourceConnectionInformationError, GetTransientTokenError};
    use plex_auth::models::{TransientTokenScope, TransientTokenType};
    let server = serving(
        "plex/media_server_401.html",
        GET,
        "/security/token",
        401,
        "text/html",
    )
    .await;
    let error = plex_media(&server.base_url())
        .authentication()
        .get_transient_token(TransientTokenType::Delegation, TransientTokenScope::All)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetTransientTokenError::Unauthorized(None))
        ),
        "{error:?}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));

    let server = serving(
        "plex/media_server_401_plain.html",
        GET,
        "/security/resources",
        401,
        "text/html",
    )
    .await;
    let error = plex_media(&server.base_url())
        .authentication()
        .get_source_connection_information("server://abc")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(GetSourceConnectionInformationError::Unauthorized { .. })
        ),
        "{error:?}"
    );
}

/// The sign-in answered with fixture `name` as `status` and `content_type`.
async fn sign_in(
    name: &str,
    status: u16,
    content_type: &str,
) -> Result<plex_auth::models::UserPlexAccount, plex_auth::LoginError> {
    let server = serving(name, POST, "/api/v2/users/signin", status, content_type).await;
    let form = plex_auth::models::SignInRequest::new("user@example.org", Secret::new("password"));
    plex(&server.base_url(), Credentials::None)
        .authentication()
        .post_users_sign_in_data(&form)
        .await
}

async fn sign_in_error(name: &str, content_type: &str) -> plex_auth::LoginError {
    sign_in(name, 401, content_type).await.unwrap_err()
}

#[tokio::test]
async fn plex_sign_in_codes_are_typed_in_json_and_xml() {
    use plex_auth::errors::PostUsersSignInDataError;
    use plex_auth::{PlexCode, VendorCode};
    let json = sign_in_error(
        "plex/sign_in_401_verification_code.json",
        "application/json",
    )
    .await;
    let Some(PostUsersSignInDataError::Unauthorized(Some(rejected))) = json.documented() else {
        panic!("{json:?}");
    };
    let detail = &rejected.errors.as_ref().unwrap()[0];
    assert_eq!(detail.code, Some(1029));
    assert_eq!(
        detail.message.as_deref(),
        Some("Please enter the verification code")
    );
    assert_eq!(json.vendor_code(), Some(PlexCode::TwoFactorRequired));

    let xml = sign_in_error("plex/sign_in_401_verification_code.xml", "application/xml").await;
    assert!(matches!(
        xml.documented(),
        Some(PostUsersSignInDataError::Unauthorized(None))
    ));
    assert_eq!(xml.vendor_code(), Some(PlexCode::TwoFactorRequired));

    let blocked = sign_in_error("plex/sign_in_401_repeated_failures.xml", "application/xml").await;
    assert_eq!(blocked.vendor_code(), Some(PlexCode::RepeatedFailures));
}

async fn signed_in(name: &str) -> plex_auth::models::UserPlexAccount {
    sign_in(name, 201, "application/json")
        .await
        .unwrap_or_else(|err| panic!("{name}: {err:?}"))
}

#[tokio::test]
async fn plex_recorded_sign_ins_decode_with_their_nulls() {
    use plex_auth::models::{MailingListStatus, SubscriptionStatus};
    let account = signed_in("plex/sign_in_201_account.json").await;
    assert_eq!(account.id, 62735028);
    assert_eq!(account.auth_token.expose(), "placeholder-auth-token");
    assert_eq!(account.friendly_name, "");
    assert_eq!(account.locale, None);
    assert_eq!(account.ads_consent, None);
    assert_eq!(account.remember_expires_at, Some(1725611719));
    assert_eq!(
        account.mailing_list_status,
        Some(MailingListStatus::Unsubscribed)
    );
    let profile = account.profile.as_ref().unwrap();
    assert_eq!(profile.default_audio_language.as_deref(), Some("ja"));
    let services = account.services.as_ref().unwrap();
    assert!(services.iter().any(|s| s.token.is_none()));
    assert!(services.iter().any(|s| s.secret.is_some()));

    let account = signed_in("plex/sign_in_201_account_null_languages.json").await;
    assert_eq!(account.mailing_list_status, Some(MailingListStatus::Active));
    let profile = account.profile.as_ref().unwrap();
    assert_eq!(profile.default_audio_language, None);
    assert_eq!(profile.default_subtitle_language, None);
    let subscription = account.subscription.as_ref().unwrap();
    assert_eq!(subscription.subscribed_at, None);
    assert_eq!(subscription.status, Some(SubscriptionStatus::Inactive));
}

/// plex.tv's account answers of every account kind, as a community client recorded them: a free
/// account, a Plex Pass account (a Home admin), and a managed (restricted) user of each one's
/// Home. Free and managed accounts carry an older, shorter `profile`, and services without a
/// token; every one decodes, its token and identity strict.
#[tokio::test]
async fn plex_account_answers_of_every_account_kind_decode() {
    for (name, id, restricted, active) in [
        ("free", 12345, false, false),
        ("free_guest", 23456, true, false),
        ("plexpass", 12345, false, true),
        ("plexpass_guest", 23456, true, false),
    ] {
        let file = format!("plex/get_token_details_200_{name}.json");
        let server = serving(&file, GET, "/api/v2/user", 200, "application/json").await;
        let account = plex(&server.base_url(), Credentials::api_key("placeholder"))
            .authentication()
            .get_token_details()
            .await
            .unwrap_or_else(|err| panic!("{file}: {err:?}"));
        let recorded: serde_json::Value = serde_json::from_slice(&fixture(&file)).unwrap();
        assert_eq!(account.id, recorded["id"].as_i64().unwrap(), "{file}");
        assert_eq!(
            account.auth_token.expose(),
            recorded["authToken"].as_str().unwrap()
        );
        assert_eq!(account.uuid, recorded["uuid"].as_str().unwrap());
        assert_eq!(account.id, id);
        assert_eq!(recorded["restricted"].as_bool(), Some(restricted), "{file}");
        // The descriptive objects are kept where they decode, whatever their age.
        let profile = account.profile.as_ref().expect("the profile decodes");
        assert_eq!(
            profile.watched_indicator.is_some(),
            recorded["profile"].get("watchedIndicator").is_some(),
            "{file}"
        );
        let subscription = account
            .subscription
            .as_ref()
            .expect("the subscription decodes");
        assert_eq!(subscription.active, Some(active), "{file}");
        let services = account.services.as_ref().expect("the services decode");
        assert_eq!(
            services.len(),
            recorded["services"].as_array().unwrap().len(),
            "{file}: every service is kept"
        );
        assert!(
            services.iter().any(|service| service.token.is_none()),
            "{file}"
        );
    }
}

// emnify

async fn authenticate(
    name: &str,
    status: u16,
    content_type: &str,
) -> Result<emnify_auth::models::AuthenticationResponse, emnify_auth::LoginError> {
    let server = serving(name, POST, "/api/v1/authenticate", status, content_type).await;
    let body = emnify_auth::models::ApplicationTokenAuthentication::new("app-token").into();
    emnify(&server.base_url(), Credentials::None)
        .authentication()
        .authenticate(&body)
        .await
}

fn tokens(
    answer: emnify_auth::models::AuthenticationResponse,
) -> emnify_auth::models::AuthenticationTokens {
    match answer {
        emnify_auth::models::AuthenticationResponse::Tokens(tokens) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    }
}

#[tokio::test]
async fn emnify_application_token_login_anchors_the_jwt_at_exp_minus_iat() {
    let answer = authenticate(
        "emnify/authenticate_200_application_token.json",
        200,
        "application/json; charset=UTF-8",
    )
    .await
    .unwrap();
    let tokens = tokens(answer);
    assert!(
        tokens.refresh_token.is_none(),
        "application tokens get no refresh token"
    );
    // Recorded in 2022: `exp` is long past on our clock, but the token lives exp - iat = 7 days.
    let lifetime = Token::from_jwt(tokens.auth_token).expires_in().unwrap();
    assert!(
        lifetime > Duration::from_secs(7 * 24 * 3600 - 60),
        "{lifetime:?}"
    );

    let answer = authenticate(
        "emnify/authenticate_200_redacted_token.json",
        200,
        "application/json; charset=utf-8",
    )
    .await
    .unwrap();
    let token = Token::from_jwt(tokens_of(answer));
    assert_eq!(token.secret().expose(), "test");
    assert_eq!(token.expires_in(), None, "no JWT: used until rejected");
}

fn tokens_of(answer: emnify_auth::models::AuthenticationResponse) -> Secret {
    tokens(answer).auth_token
}

#[tokio::test]
async fn emnify_documented_logins_decode() {
    use emnify_auth::models::AuthenticationResponse;
    let user = tokens(
        authenticate(
            "emnify/doc_authenticate_200_user.json",
            200,
            "application/json",
        )
        .await
        .unwrap(),
    );
    assert!(user.refresh_token.is_some());
    let app = tokens(
        authenticate(
            "emnify/doc_authenticate_200_application.json",
            200,
            "application/json",
        )
        .await
        .unwrap(),
    );
    assert!(app.refresh_token.is_none());
    let mfa = authenticate(
        "emnify/doc_authenticate_200_mfa_required.json",
        200,
        "application/json",
    )
    .await
    .unwrap();
    assert!(
        matches!(mfa, AuthenticationResponse::MfaRequired(_)),
        "{mfa:?}"
    );
}

#[tokio::test]
async fn emnify_error_envelopes_are_typed_with_their_codes() {
    use emnify_auth::errors::AuthenticateError;
    use emnify_auth::{EmnifyCode, VendorCode};
    let error = authenticate("emnify/doc_authenticate_404.json", 404, "application/json")
        .await
        .unwrap_err();
    let Some(AuthenticateError::NotFound(Some(not_found))) = error.documented() else {
        panic!("{error:?}");
    };
    assert_eq!(not_found.error_token.as_deref(), Some("InvalidReference"));
    assert_eq!(error.vendor_code(), Some(EmnifyCode::InvalidReference));

    // An undocumented status keeps its code and the gateway's request id.
    let error = authenticate(
        "emnify/bad_request_400.json",
        400,
        "application/json; charset=UTF-8",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        error.kind(),
        auth_core::ApiErrorKind::Other(auth_core::Error::UnexpectedStatus(_))
    ));
    assert_eq!(error.vendor_code(), Some(EmnifyCode::BadRequest));
    assert_eq!(error.request_id(), Some("recorded-request-id"));
}

fn emnify_client(url: &str) -> emnify_auth::Client {
    emnify(url, Credentials::bearer("auth-token"))
}

#[tokio::test]
async fn emnify_401_with_a_message_body_is_typed() {
    use emnify_auth::errors::UserMfaTypeGetError;
    let server = serving(
        "emnify/unauthorized_401_token_segments.json",
        GET,
        "/api/v1/user/mfa/type",
        401,
        "application/json",
    )
    .await;
    let error = emnify_client(&server.base_url())
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    let Some(UserMfaTypeGetError::Unauthorized(Some(rejected))) = error.documented() else {
        panic!("{error:?}");
    };
    assert_eq!(
        rejected.message.as_deref(),
        Some("token contains an invalid number of segments")
    );
    assert_eq!(error.request_id(), Some("recorded-request-id"));
}

async fn post_mfa(
    name: &str,
    status: u16,
    content_type: &str,
) -> Result<
    emnify_auth::models::CreateMfaKeyResponse,
    emnify_auth::ApiError<emnify_auth::errors::PostMfaError>,
> {
    let server = serving(name, POST, "/api/v1/user/mfa", status, content_type).await;
    let body = emnify_auth::models::CreateMfaKeyRequest::new(
        emnify_auth::models::IdRef::new(0),
        "password",
    );
    emnify_client(&server.base_url())
        .authentication()
        .post_mfa(&body)
        .await
}

#[tokio::test]
async fn emnify_mfa_key_answers_decode() {
    use emnify_auth::errors::PostMfaError;
    use emnify_auth::{EmnifyCode, VendorCode};
    let key = post_mfa("emnify/doc_post_mfa_200.json", 200, "application/json")
        .await
        .unwrap();
    assert_eq!(key.id, 44);
    assert_eq!(key.secret_key.expose(), "YZP7UN4EMN6LK2UYYDCTBNH4ZVXVEJ7C");
    assert_eq!(key.status.id, 0);

    let conflict = post_mfa("emnify/doc_post_mfa_409.json", 409, "application/json")
        .await
        .unwrap_err();
    assert!(matches!(
        conflict.documented(),
        Some(PostMfaError::Conflict { .. })
    ));
    assert_eq!(conflict.vendor_code(), Some(EmnifyCode::Duplicated));

    let refused = post_mfa("emnify/doc_post_mfa_422.json", 422, "application/json")
        .await
        .unwrap_err();
    let Some(PostMfaError::UnprocessableEntity(Some(refused_body))) = refused.documented() else {
        panic!("{refused:?}");
    };
    let nested = refused_body.errors.as_ref().unwrap();
    assert_eq!(
        nested[0].error_token.as_deref(),
        Some("InputValidationFailed")
    );
    assert_eq!(refused.vendor_code(), Some(EmnifyCode::Failed));

    // A documented 422 with an empty HTML body is still the typed 422.
    let empty = post_mfa(
        "emnify/unprocessable_422_empty.html",
        422,
        "text/html; charset=UTF-8",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            empty.documented(),
            Some(PostMfaError::UnprocessableEntity(None))
        ),
        "{empty:?}"
    );
}

#[tokio::test]
async fn emnify_mfa_activation_and_lookups_decode() {
    use emnify_auth::errors::UserMfaByIdPatchError;
    use emnify_auth::{EmnifyCode, VendorCode};
    let server = serving(
        "emnify/doc_user_mfa_by_id_patch_422.json",
        PATCH,
        "/api/v1/user/mfa/44",
        422,
        "application/json",
    )
    .await;
    let body = emnify_auth::models::ActivateMfaKeyRequest::new(
        emnify_auth::models::IdRef::new(1),
        "000000",
    );
    let error = emnify_client(&server.base_url())
        .authentication()
        .user_mfa_by_id_patch(44, &body)
        .await
        .unwrap_err();
    assert!(matches!(
        error.documented(),
        Some(UserMfaByIdPatchError::UnprocessableEntity { .. })
    ));
    assert_eq!(error.vendor_code(), Some(EmnifyCode::InputValidationFailed));

    let server = serving(
        "emnify/doc_user_mfa_status_get_200.json",
        GET,
        "/api/v1/user/mfa/status",
        200,
        "application/json",
    )
    .await;
    let statuses = emnify_client(&server.base_url())
        .authentication()
        .user_mfa_status_get()
        .await
        .unwrap();
    assert_eq!(statuses.iter().map(|s| s.id).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(statuses[1].description.as_deref(), Some("Active"));

    let server = serving(
        "emnify/doc_user_mfa_type_get_200.json",
        GET,
        "/api/v1/user/mfa/type",
        200,
        "application/json",
    )
    .await;
    let types = emnify_client(&server.base_url())
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap();
    assert_eq!(types[0].id, 0);
}

#[tokio::test]
async fn emnify_application_tokens_decode() {
    use emnify_auth::errors::ApplicationTokenPostError;
    use emnify_auth::models::CreateApplicationTokenRequest;
    use emnify_auth::{EmnifyCode, VendorCode};
    let path = "/api/v1/application_token";
    let server = serving(
        "emnify/doc_application_token_get_200.json",
        GET,
        path,
        200,
        "application/json",
    )
    .await;
    let tokens = emnify_client(&server.base_url())
        .application_tokens()
        .application_token_get()
        .await
        .unwrap();
    assert_eq!(tokens.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(tokens[0].ip.as_deref(), Some("10.88.0.139/32"));
    assert_eq!(tokens[1].status.as_ref().map(|s| s.id), Some(1));
    assert_eq!(tokens[1].expiry_date, None);
    assert_eq!(
        tokens[1]
            .creator
            .as_ref()
            .and_then(|c| c.username.as_deref()),
        Some("user6@org2")
    );

    let body = CreateApplicationTokenRequest::new().with_description("My Token");
    let server = serving(
        "emnify/doc_application_token_post_200.json",
        POST,
        path,
        200,
        "application/json",
    )
    .await;
    let created = emnify_client(&server.base_url())
        .application_tokens()
        .application_token_post(&body)
        .await
        .unwrap();
    assert_eq!(
        created.application_token.expose(),
        "placeholder-application-token"
    );
    assert!(!format!("{created:?}").contains("placeholder-application-token"));

    let server = serving(
        "emnify/doc_application_token_post_422.json",
        POST,
        path,
        422,
        "application/json",
    )
    .await;
    let error = emnify_client(&server.base_url())
        .application_tokens()
        .application_token_post(&body.with_ip("10.203.23.78"))
        .await
        .unwrap_err();
    let Some(ApplicationTokenPostError::UnprocessableEntity(Some(refused))) = error.documented()
    else {
        panic!("expected the documented 422, got {error:?}");
    };
    assert_eq!(refused.error_code, Some(1403));
    assert_eq!(error.vendor_code(), Some(EmnifyCode::InvalidFormat));
}

#[tokio::test]
async fn emnify_trusted_devices_decode() {
    use emnify_auth::errors::UserMfaTrustedDeviceByUserIdGetError;
    use emnify_auth::{EmnifyCode, VendorCode};
    let path = "/api/v1/user/1234/mfa/trusted_device";
    let server = serving(
        "emnify/doc_trusted_device_get_200.json",
        GET,
        path,
        200,
        "application/json",
    )
    .await;
    let devices = emnify_client(&server.base_url())
        .authentication()
        .user_mfa_trusted_device_by_user_id_get(1234)
        .await
        .unwrap();
    assert_eq!(devices.iter().map(|d| d.id).collect::<Vec<_>>(), [16, 71]);
    assert_eq!(devices[1].browser.as_deref(), Some("Dolphin"));

    for name in [
        "emnify/doc_trusted_device_get_404.json",
        "emnify/not_found_404_invalid_reference.json",
    ] {
        let content_type = "application/json; charset=UTF-8";
        let server = serving(name, GET, path, 404, content_type).await;
        let error = emnify_client(&server.base_url())
            .authentication()
            .user_mfa_trusted_device_by_user_id_get(1234)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error.documented(),
                Some(UserMfaTrustedDeviceByUserIdGetError::NotFound { .. })
            ),
            "{name}: {error:?}"
        );
        assert_eq!(
            error.vendor_code(),
            Some(EmnifyCode::InvalidReference),
            "{name}"
        );
    }
}

// Dintero

#[tokio::test]
async fn dintero_documented_token_answers_decode() {
    use dintero_auth::models::{ClientCredentialsGrant, TokenType};
    for (name, refresh) in [
        ("dintero/doc_token_200_client_credentials.json", false),
        ("dintero/doc_token_200_with_refresh_token.json", true),
    ] {
        let server = serving(
            name,
            POST,
            "/accounts/P00000000/auth/token",
            200,
            "application/json",
        )
        .await;
        let grant =
            ClientCredentialsGrant::new("https://api.dintero.com/v1/accounts/P00000000").into();
        let token = dintero(&server.base_url(), Credentials::basic("id", "secret"))
            .authentication()
            .aid_auths_oauth_token_post("P00000000", &grant)
            .await
            .unwrap();
        assert_eq!(token.expires_in, 86400, "{name}");
        assert_eq!(token.token_type, Some(TokenType::Bearer), "{name}");
        assert_eq!(token.refresh_token.is_some(), refresh, "{name}");
        let lifetime = token.to_token().expires_in().unwrap();
        assert!(lifetime > Duration::from_secs(86_300), "{lifetime:?}");
    }
}

#[tokio::test]
async fn dintero_documented_challenge_decodes() {
    use dintero_auth::models::{AuthChallenge, BindingMethod};
    let server = serving(
        "dintero/doc_mfa_challenge_200.json",
        POST,
        "/accounts/P00000000/auth/mfa/challenge",
        200,
        "application/json",
    )
    .await;
    let challenge = dintero(&server.base_url(), Credentials::bearer("jwt"))
        .challenge()
        .aid_auth_mfa_challenge_post("P00000000", &AuthChallenge::new("mfa"))
        .await
        .unwrap();
    assert_eq!(challenge.binding_method, Some(BindingMethod::Prompt));
    assert_eq!(challenge.oob_code.unwrap().expose(), "bkaiew...akas");
}

#[tokio::test]
async fn dintero_documented_exchange_token_decodes() {
    use dintero_auth::models::ExchangeToken;
    let server = serving(
        "dintero/doc_exchange_token_200.json",
        POST,
        "/accounts/P00100000/auth/exchange_token",
        200,
        "application/json",
    )
    .await;
    let token = dintero(&server.base_url(), Credentials::bearer("partner-jwt"))
        .authentication()
        .aid_auths_oauth_exchange_token_post("P00100000", &ExchangeToken::new("P00100001"))
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), "eyJhbGci...t7P4");
    assert_eq!(token.expires_in, 86400);
    assert!(token.refresh_token.is_some());
}
