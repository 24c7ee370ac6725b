//! Contract tests: every operation of every crate, with valid inputs, sent to Stoplight Prism
//! serving our own `openapi/*.yaml` with `--errors`. Prism validates each request (path, query,
//! headers, credentials, content type, body) against the spec and answers an error for any
//! violation, so an operation passes only with a documented success status; its generated
//! example response must then decode into the crate's types.
//!
//! They need Prism running: `bash .ci/contract` installs it, starts one server per spec, sets
//! `PRISM_EMNIFY_URL`, `PRISM_DINTERO_URL` and `PRISM_PLEX_URL`, and runs them. A plain
//! `cargo test` lists them as ignored.

use std::fmt::Debug;

use auth_core::{Credentials, ErrorMetadata};
use dintero_auth::models as dintero_models;
use emnify_auth::models as emnify_models;
use plex_auth::models as plex_models;

const NEEDS_PRISM: &str = "run `bash .ci/contract`";

fn prism(variable: &str) -> String {
    std::env::var(variable)
        .unwrap_or_else(|_| panic!("{variable} is not set: Prism is not running; {NEEDS_PRISM}"))
}

/// Unwraps a result, showing Prism's explanation when it rejected the request.
fn accepted<T, E: ErrorMetadata + Debug>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|error| {
        let body = error
            .response_meta()
            .map(|meta| String::from_utf8_lossy(meta.raw_body_excerpt()).into_owned())
            .unwrap_or_default();
        panic!("Prism rejected the request: {error:?}\n{body}")
    })
}

fn emnify() -> emnify_auth::Client {
    workspace_tests::emnify(
        &prism("PRISM_EMNIFY_URL"),
        Credentials::bearer("contract-jwt"),
    )
}

fn dintero(credentials: Credentials) -> dintero_auth::Client {
    workspace_tests::dintero(&prism("PRISM_DINTERO_URL"), credentials)
}

fn plex() -> plex_auth::Client {
    let url = prism("PRISM_PLEX_URL");
    workspace_tests::plex_identity()
        .builder()
        .server_url(plex_auth::Server::PlexTv, url.clone())
        .server_url(plex_auth::Server::PlexClients, url.clone())
        .server_url(plex_auth::Server::MediaServer, url)
        .credentials(Credentials::api_key("contract-plex-token"))
        .build()
        .unwrap()
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_authenticate_each_body_shape() {
    let client = emnify().with_credentials(Credentials::None);
    let api = client.authentication();
    let bodies: Vec<emnify_models::Authentication> = vec![
        emnify_models::ApplicationTokenAuthentication::new("app-token").into(),
        emnify_models::UserAuthentication::new("user@example.org", "password")
            .with_fingerprint("fp")
            .into(),
        emnify_models::RefreshTokenAuthentication::new("refresh").into(),
        emnify_models::MfaCodeAuthentication::new("mfa", "123456")
            .with_fingerprint("fp")
            .into(),
    ];
    for body in bodies {
        let answer = accepted(api.authenticate(&body).await);
        assert!(matches!(
            answer,
            emnify_models::AuthenticationResponse::Tokens(_)
        ));
    }
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_post_mfa() {
    let body = emnify_models::CreateMfaKeyRequest::new(emnify_models::IdRef::new(0), "password");
    accepted(emnify().authentication().post_mfa(&body).await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_by_id_patch() {
    let body = emnify_models::ActivateMfaKeyRequest::new(emnify_models::IdRef::new(1), "123456");
    accepted(
        emnify()
            .authentication()
            .user_mfa_by_id_patch(44, &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_by_user_id_and_key_id_delete() {
    accepted(
        emnify()
            .authentication()
            .user_mfa_by_user_id_and_key_id_delete(7, 44)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_status_get() {
    accepted(emnify().authentication().user_mfa_status_get().await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_type_get() {
    accepted(emnify().authentication().user_mfa_type_get().await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_trusted_device_by_user_id_get() {
    accepted(
        emnify()
            .authentication()
            .user_mfa_trusted_device_by_user_id_get(7)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_user_mfa_trusted_device_by_user_id_and_device_id_delete() {
    accepted(
        emnify()
            .authentication()
            .user_mfa_trusted_device_by_user_id_and_device_id_delete(7, 16)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_application_token_get() {
    accepted(emnify().application_tokens().application_token_get().await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_application_token_post() {
    let body = emnify_models::CreateApplicationTokenRequest::new()
        .with_description("ci")
        .with_expiry_date("2027-01-01T00:00:00.000Z")
        .with_ip("10.0.0.0/8");
    let created = accepted(
        emnify()
            .application_tokens()
            .application_token_post(&body)
            .await,
    );
    assert!(!created.application_token.expose().is_empty());
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn emnify_application_token_by_id_patch() {
    let body = emnify_models::UpdateApplicationTokenRequest::new()
        .with_description("revoked by ci")
        .with_status(emnify_models::IdRef::new(1));
    accepted(
        emnify()
            .application_tokens()
            .application_token_by_id_patch(7, &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn dintero_token_every_grant() {
    let basic = dintero(Credentials::basic("client-id", "client-secret"));
    let grant = dintero_models::ClientCredentialsGrant::new("https://aud").into();
    accepted(
        basic
            .authentication()
            .aid_auths_oauth_token_post("T00000000", &grant)
            .await,
    );
    let bearer = dintero(Credentials::bearer("account-jwt"));
    let grants: Vec<dintero_models::AuthToken> = vec![
        dintero_models::PasswordGrant::new("user", "password", "https://aud").into(),
        dintero_models::RefreshTokenGrant::new("refresh").into(),
        dintero_models::AccountUserTokenGrant::new().into(),
        dintero_models::MfaOobGrant::new("oob", "123456", "mfa").into(),
        dintero_models::AuthorizationCodeGrant::new(
            dintero_models::IdentType::Email,
            "user@example.org",
            "code",
            "https://aud",
        )
        .into(),
    ];
    for grant in grants {
        accepted(
            bearer
                .authentication()
                .aid_auths_oauth_token_post("T00000000", &grant)
                .await,
        );
    }
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn dintero_aid_auths_oauth_exchange_token_post() {
    let body = dintero_models::ExchangeToken::new("P00100001");
    accepted(
        dintero(Credentials::bearer("partner-jwt"))
            .authentication()
            .aid_auths_oauth_exchange_token_post("P00100000", &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn dintero_aid_auths_oauth_revoke_post() {
    let body = dintero_models::RevokeToken::new("refresh-token");
    accepted(
        dintero(Credentials::bearer("account-jwt"))
            .authentication()
            .aid_auths_oauth_revoke_post("T00000000", &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn dintero_aid_auth_mfa_challenge_post() {
    let body = dintero_models::AuthChallenge::new("mfa")
        .with_oob_channel(dintero_models::OobChannel::Email);
    accepted(
        dintero(Credentials::bearer("account-jwt"))
            .challenge()
            .aid_auth_mfa_challenge_post("T00000000", &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn dintero_aid_auth_mfa_recovery_post() {
    let body = dintero_models::MfaRecovery::new("user@example.org", "https://aud")
        .with_oob_channel(dintero_models::OobChannel::Sms);
    accepted(
        dintero(Credentials::bearer("account-jwt"))
            .challenge()
            .aid_auth_mfa_recovery_post("T00000000", &body)
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_post_users_sign_in_data() {
    let form = plex_models::SignInRequest::new("user@example.org", "password")
        .with_remember_me(true)
        .with_verification_code("123456");
    let client = plex().with_credentials(Credentials::None);
    accepted(client.authentication().post_users_sign_in_data(&form).await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_get_token_details() {
    accepted(plex().authentication().get_token_details().await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_get_transient_token() {
    accepted(
        plex()
            .authentication()
            .get_transient_token(
                plex_models::TransientTokenType::Delegation,
                plex_models::TransientTokenScope::All,
            )
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_get_source_connection_information() {
    accepted(
        plex()
            .authentication()
            .get_source_connection_information("server://client-identifier")
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_pins() {
    let client = plex().with_credentials(Credentials::None);
    let pin = accepted(client.authentication().create_pin(Some(true), None).await);
    accepted(client.authentication().get_pin(pin.id, None).await);
    // A PIN that registers a device key, polled with a device JWT.
    let jwk = plex_models::Jwk::new(
        "OKP",
        "Ed25519",
        "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    )
    .with_kid("key-1")
    .with_alg("EdDSA");
    let body = plex_models::PinRequest::new()
        .with_jwk(jwk)
        .with_strong(true);
    let pin = accepted(client.authentication().create_pin(None, Some(&body)).await);
    let device_jwt = auth_core::Secret::from("a.b.c");
    accepted(
        client
            .authentication()
            .get_pin(pin.id, Some(&device_jwt))
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_get_resources() {
    accepted(
        plex()
            .authentication()
            .get_resources(Some(1), Some(1), Some(0))
            .await,
    );
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_jwt_device_operations() {
    let jwk = plex_models::Jwk::new(
        "OKP",
        "Ed25519",
        "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    )
    .with_kid("key-1")
    .with_use("sig")
    .with_alg("EdDSA");
    let api = plex();
    accepted(
        api.authentication()
            .register_jwk(&plex_models::RegisterJwkRequest::new(jwk))
            .await,
    );
    let anonymous = api.with_credentials(Credentials::None);
    accepted(anonymous.authentication().get_nonce().await);
    accepted(
        anonymous
            .authentication()
            .exchange_jwt(&plex_models::ExchangeJwtRequest::new("a.b.c"))
            .await,
    );
    accepted(anonymous.authentication().get_plex_keys().await);
}

#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn plex_home_ping_and_sign_out() {
    let api = plex();
    let home = accepted(api.authentication().get_home_users().await);
    let uuid = home
        .users
        .first()
        .map_or("0a1b2c3d4e5f6a7b", |user| user.uuid.as_str());
    let pin = auth_core::Secret::from("2468");
    accepted(
        api.authentication()
            .switch_home_user(uuid, Some(&pin))
            .await,
    );
    accepted(api.authentication().switch_home_user(uuid, None).await);
    accepted(api.authentication().ping_token().await);
    accepted(api.authentication().sign_out().await);
}

/// Prism does reject what the spec forbids, so a wrong request would fail this suite: a body
/// of the wrong shape, and a missing bearer token.
#[tokio::test]
#[ignore = "needs Prism: run `bash .ci/contract`"]
async fn prism_rejects_requests_that_break_the_spec() {
    static POST_MFA: auth_core::__private::Operation = auth_core::__private::Operation {
        api: "emnify",
        id: "postMfa",
        name: "post_mfa",
        method: auth_core::Method::POST,
        server: emnify_auth::Server::Api.spec_url(),
        path: "/api/v1/user/mfa",
        security: &[auth_core::__private::Security::Bearer],
        idempotent: false,
    };
    static TYPES_WITHOUT_TOKEN: auth_core::__private::Operation = auth_core::__private::Operation {
        api: "emnify",
        id: "UserMfaTypeGet",
        name: "user_mfa_type_get",
        method: auth_core::Method::GET,
        server: emnify_auth::Server::Api.spec_url(),
        path: "/api/v1/user/mfa/type",
        security: &[],
        idempotent: true,
    };
    let client = emnify();
    let wrong_body =
        auth_core::__private::OperationRequest::new(&POST_MFA, "/api/v1/user/mfa".to_owned())
            .json(&serde_json::json!({"type": "totp", "password": 7}))
            .unwrap();
    let response = auth_core::__private::send(client.core(), wrong_body)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);

    let no_token = auth_core::__private::OperationRequest::new(
        &TYPES_WITHOUT_TOKEN,
        "/api/v1/user/mfa/type".to_owned(),
    );
    let response = auth_core::__private::send(client.core(), no_token)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}
