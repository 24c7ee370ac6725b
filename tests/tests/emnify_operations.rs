//! Every emnify operation against httpmock: the exact request, the documented success, and a
//! documented error decoded into its variant.

use auth_core::{Credentials, ErrorMetadata};
use emnify_auth::errors::*;
use emnify_auth::models::*;
use httpmock::prelude::*;
use serde_json::json;
use workspace_tests::emnify;

const TOKEN: &str = "jwt-auth-token";

fn bearer() -> Credentials {
    Credentials::bearer(TOKEN)
}

fn not_found() -> serde_json::Value {
    json!({"error_code": 1401, "error_token": "InvalidReference", "message": "not found"})
}

#[tokio::test]
async fn authenticate_with_application_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header_missing("authorization")
                .json_body(json!({"application_token": "app-token"}));
            then.status(200).json_body(json!({"auth_token": "issued"}));
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::None);
    let body = ApplicationTokenAuthentication::new("app-token").into();
    let answer = client.authentication().authenticate(&body).await.unwrap();
    mock.assert_async().await;
    let AuthenticationResponse::Tokens(tokens) = answer else {
        panic!("expected tokens, got {answer:?}");
    };
    assert_eq!(tokens.auth_token.expose(), "issued");
    assert_eq!(tokens.refresh_token, None);
}

#[tokio::test]
async fn authenticate_with_password_answers_mfa_required() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate").json_body(
                json!({"username": "u@example.org", "password": "pw", "fingerprint": "fp"}),
            );
            then.status(200).json_body(json!({"mfa_token": "mfa-1"}));
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::None);
    let body = UserAuthentication::new("u@example.org", "pw")
        .with_fingerprint("fp")
        .into();
    let answer = client.authentication().authenticate(&body).await.unwrap();
    mock.assert_async().await;
    assert_eq!(
        answer,
        AuthenticationResponse::MfaRequired(
            serde_json::from_value(json!({"mfa_token": "mfa-1"})).unwrap()
        )
    );
}

#[tokio::test]
async fn authenticate_finishing_mfa_and_refreshing() {
    let server = MockServer::start_async().await;
    let mfa = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body(json!({"mfa_token": "mfa-1", "code": "123456"}));
            then.status(200)
                .json_body(json!({"auth_token": "a1", "refresh_token": "r1"}));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/authenticate")
                .json_body(json!({"refresh_token": "r1"}));
            then.status(200).json_body(json!({"auth_token": "a2"}));
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::None);
    let api = client.authentication();
    let first = api
        .authenticate(&MfaCodeAuthentication::new("mfa-1", "123456").into())
        .await
        .unwrap();
    let AuthenticationResponse::Tokens(first) = first else {
        panic!("expected tokens");
    };
    let refresh_token = first
        .refresh_token
        .expect("a user login returns a refresh token");
    let second = api
        .authenticate(&RefreshTokenAuthentication::new(refresh_token).into())
        .await
        .unwrap();
    mfa.assert_async().await;
    refresh.assert_async().await;
    assert!(matches!(second, AuthenticationResponse::Tokens(t) if t.auth_token.expose() == "a2"));
}

#[tokio::test]
async fn authenticate_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/authenticate");
            then.status(401).header("x-request-id", "req-7");
        })
        .await;
    let client = emnify(&server.base_url(), Credentials::None);
    let body = ApplicationTokenAuthentication::new("wrong").into();
    let error = client
        .authentication()
        .authenticate(&body)
        .await
        .unwrap_err();
    assert!(
        matches!(error.documented(), Some(AuthenticateError::Unauthorized)),
        "{error:?}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.request_id(), Some("req-7"));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn post_mfa_creates_a_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/user/mfa")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .json_body(json!({"type": {"id": 0}, "password": "pw"}));
            then.status(200).json_body(json!({
                "id": 44,
                "status": {"id": 0, "description": "Activation Pending"},
                "type": {"id": 0, "description": "Time-Based One-Time Password"},
                "secret_key": "YZP7UN4EMN6LK2UYYDCTBNH4ZVXVEJ7C",
                "otpauth": "otpauth://totp/org:user?secret=YZP7UN4EMN6LK2UYYDCTBNH4ZVXVEJ7C",
                "creation_date": "2020-02-03T14:04:03.000Z"
            }));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let key = client
        .authentication()
        .post_mfa(&CreateMfaKeyRequest::new(IdRef::new(0), "pw"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(key.id, 44);
    assert_eq!(key.status.id, 0);
    assert_eq!(key.secret_key.expose(), "YZP7UN4EMN6LK2UYYDCTBNH4ZVXVEJ7C");
    assert_eq!(key.activation_date, None);
}

#[tokio::test]
async fn post_mfa_conflict_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/user/mfa");
            then.status(409).json_body(json!({
                "error_code": 1405, "error_token": "Duplicated", "message": "MFA already activated"
            }));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .post_mfa(&CreateMfaKeyRequest::new(IdRef::new(0), "pw"))
        .await
        .unwrap_err();
    let Some(PostMfaError::Conflict(Some(conflict))) = error.documented() else {
        panic!("expected 409, got {error:?}");
    };
    assert_eq!(conflict.error_code, Some(1405));
    assert_eq!(conflict.error_token.as_deref(), Some("Duplicated"));
}

#[tokio::test]
async fn user_mfa_by_id_patch_activates() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH")
                .path("/api/v1/user/mfa/44")
                .header("authorization", format!("Bearer {TOKEN}"))
                .json_body(json!({"status": {"id": 1}, "code": "123456"}));
            then.status(204);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    client
        .authentication()
        .user_mfa_by_id_patch(44, &ActivateMfaKeyRequest::new(IdRef::new(1), "123456"))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn user_mfa_by_id_patch_wrong_code_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("PATCH").path("/api/v1/user/mfa/44");
            then.status(422).json_body(json!({
                "error_code": 1400, "error_token": "InputValidationFailed",
                "message": "MFA key validation error: Code did not match!"
            }));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .user_mfa_by_id_patch(44, &ActivateMfaKeyRequest::new(IdRef::new(1), "000000"))
        .await
        .unwrap_err();
    assert!(
        matches!(error.documented(), Some(UserMfaByIdPatchError::UnprocessableEntity(Some(e))) if e.error_code == Some(1400))
    );
}

#[tokio::test]
async fn user_mfa_by_user_id_and_key_id_delete_deletes() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/user/7/mfa/44")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(204);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    client
        .authentication()
        .user_mfa_by_user_id_and_key_id_delete(7, 44)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn user_mfa_by_user_id_and_key_id_delete_not_found_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path("/api/v1/user/7/mfa/45");
            then.status(404).json_body(not_found());
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .user_mfa_by_user_id_and_key_id_delete(7, 45)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(UserMfaByUserIdAndKeyIdDeleteError::NotFound { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn user_mfa_status_get_lists_statuses() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/status")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json");
            then.status(200).json_body(json!([
                {"id": 0, "description": "Activation Pending"},
                {"id": 1, "description": "Active"}
            ]));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let statuses = client.authentication().user_mfa_status_get().await.unwrap();
    mock.assert_async().await;
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[1].description.as_deref(), Some("Active"));
}

#[tokio::test]
async fn user_mfa_status_get_unauthorized_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/status");
            then.status(401);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .user_mfa_status_get()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(UserMfaStatusGetError::Unauthorized { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn user_mfa_type_get_lists_types() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/mfa/type")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .json_body(json!([{"id": 0, "description": "Time-Based One-Time Password"}]));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let types = client.authentication().user_mfa_type_get().await.unwrap();
    mock.assert_async().await;
    assert_eq!(types[0].id, 0);
}

#[tokio::test]
async fn user_mfa_type_get_unauthorized_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(401);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
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
}

#[tokio::test]
async fn user_mfa_trusted_device_by_user_id_get_lists_devices() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/user/7/mfa/trusted_device")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).json_body(json!([{
                "id": 16, "operating_system": "Ubuntu", "browser": "Firefox",
                "activation_date": "2019-03-01T16:04:20.000Z", "unknown_field": true
            }]));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let devices = client
        .authentication()
        .user_mfa_trusted_device_by_user_id_get(7)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(devices[0].id, 16);
    assert_eq!(devices[0].browser.as_deref(), Some("Firefox"));
}

#[tokio::test]
async fn user_mfa_trusted_device_by_user_id_get_not_found_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/8/mfa/trusted_device");
            then.status(404).json_body(not_found());
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .user_mfa_trusted_device_by_user_id_get(8)
        .await
        .unwrap_err();
    let Some(UserMfaTrustedDeviceByUserIdGetError::NotFound(Some(not_found))) = error.documented()
    else {
        panic!("expected 404, got {error:?}");
    };
    assert_eq!(not_found.message.as_deref(), Some("not found"));
}

#[tokio::test]
async fn user_mfa_trusted_device_delete_deletes() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/user/7/mfa/trusted_device/16")
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(204);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    client
        .authentication()
        .user_mfa_trusted_device_by_user_id_and_device_id_delete(7, 16)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn user_mfa_trusted_device_delete_not_found_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/api/v1/user/7/mfa/trusted_device/99");
            then.status(404).json_body(not_found());
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let error = client
        .authentication()
        .user_mfa_trusted_device_by_user_id_and_device_id_delete(7, 99)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(UserMfaTrustedDeviceByUserIdAndDeviceIdDeleteError::NotFound { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn application_token_get_lists_tokens() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/application_token")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("accept", "application/json");
            then.status(200).json_body(json!([{
                "id": 1, "description": "ci", "created": "2026-01-02T03:04:05.000Z",
                "status": {"id": 0, "description": "Activated"},
                "creator": {"id": 6, "name": "Master User", "username": "owner@example.org"}
            }]));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let tokens = client
        .application_tokens()
        .application_token_get()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].description.as_deref(), Some("ci"));
    assert_eq!(tokens[0].status.as_ref().map(|s| s.id), Some(0));
}

#[tokio::test]
async fn application_token_post_creates_a_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/application_token")
                .header("authorization", format!("Bearer {TOKEN}"))
                .json_body(json!({
                    "description": "ci", "expiry_date": "2027-01-01", "ip": "10.0.0.0/8"
                }));
            then.status(200)
                .json_body(json!({"application_token": "new-app-token"}));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let body = CreateApplicationTokenRequest::new()
        .with_description("ci")
        .with_expiry_date("2027-01-01")
        .with_ip("10.0.0.0/8");
    let created = client
        .application_tokens()
        .application_token_post(&body)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(created.application_token.expose(), "new-app-token");
}

#[tokio::test]
async fn application_token_post_invalid_ip_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v1/application_token");
            then.status(422).json_body(json!({
                "error_code": 1403, "error_token": "InvalidFormat",
                "message": "Application Token - IP has invalid format"
            }));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let body = CreateApplicationTokenRequest::new().with_ip("10.0.0.1");
    let error = client
        .application_tokens()
        .application_token_post(&body)
        .await
        .unwrap_err();
    assert!(
        matches!(error.documented(), Some(ApplicationTokenPostError::UnprocessableEntity(Some(e))) if e.error_code == Some(1403)),
        "{error:?}"
    );
}

#[tokio::test]
async fn application_token_by_id_patch_revokes() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method("PATCH")
                .path("/api/v1/application_token/7")
                .header("authorization", format!("Bearer {TOKEN}"))
                .json_body(json!({"status": {"id": 1}}));
            then.status(204);
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let body = UpdateApplicationTokenRequest::new().with_status(IdRef::new(1));
    client
        .application_tokens()
        .application_token_by_id_patch(7, &body)
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn application_token_by_id_patch_unauthorized_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method("PATCH").path("/api/v1/application_token/7");
            then.status(401)
                .json_body(json!({"message": "token contains an invalid number of segments"}));
        })
        .await;
    let client = emnify(&server.base_url(), bearer());
    let body = UpdateApplicationTokenRequest::new().with_description("renamed");
    let error = client
        .application_tokens()
        .application_token_by_id_patch(7, &body)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(ApplicationTokenByIdPatchError::Unauthorized(Some(_)))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn secured_operations_refuse_to_run_without_credentials() {
    let client = emnify("http://127.0.0.1:9", Credentials::None);
    let error = client
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(auth_core::Error::MissingCredentials { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn undocumented_status_keeps_status_and_excerpt() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/user/mfa/type");
            then.status(503)
                .header("retry-after", "2")
                .body("<html>maintenance</html>");
        })
        .await;
    // Sent once: the retries that honour `Retry-After` are `bad_input.rs`'s to test.
    let client =
        emnify(&server.base_url(), bearer()).with_retry(auth_core::RetryPolicy::disabled());
    let error = client
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(std::time::Duration::from_secs(2)));
    // A 5xx is a kind of its own on every operation, documented or not.
    let auth_core::ApiErrorKind::ServerError(meta) = error.kind() else {
        panic!("expected a server error, got {error:?}");
    };
    assert_eq!(meta.raw_body_excerpt(), b"<html>maintenance</html>");
}
