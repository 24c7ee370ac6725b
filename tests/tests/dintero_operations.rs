//! Every Dintero operation against httpmock: the exact request, the documented success, and a
//! documented error decoded into its variant.

use auth_core::{Credentials, ErrorMetadata};
use dintero_auth::errors::*;
use dintero_auth::models::*;
use httpmock::prelude::*;
use serde_json::json;
use workspace_tests::dintero;

const JWT: &str = "account-jwt";

fn mfa_required() -> serde_json::Value {
    json!({"error": {"code": "mfa_required", "message": "MFA required", "mfa_token": "mfa-2"}})
}

#[tokio::test]
async fn token_with_client_credentials_uses_basic_auth() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/T00000000/auth/token")
                // base64("client-id:client-secret")
                .header("authorization", "Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=")
                .header("content-type", "application/json")
                .json_body(json!({"grant_type": "client_credentials", "audience": "https://aud"}));
            then.status(200).json_body(json!({
                "access_token": "at-1", "token_type": "Bearer", "expires_in": 3600
            }));
        })
        .await;
    let client = dintero(
        &server.base_url(),
        Credentials::basic("client-id", "client-secret"),
    );
    let token = client
        .authentication()
        .aid_auths_oauth_token_post(
            "T00000000",
            &ClientCredentialsGrant::new("https://aud").into(),
        )
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(token.access_token.expose(), "at-1");
    assert_eq!(token.token_type, Some(TokenType::Bearer));
    assert_eq!(token.expires_in, 3600);
}

#[tokio::test]
async fn token_grants_serialize_with_their_grant_type() {
    let server = MockServer::start_async().await;
    let grants: Vec<(AuthToken, serde_json::Value)> = vec![
        (
            PasswordGrant::new("user@example.org", "pw", "https://aud").into(),
            json!({"grant_type": "password", "username": "user@example.org", "password": "pw", "audience": "https://aud"}),
        ),
        (
            AccountUserTokenGrant::new().into(),
            json!({"grant_type": "account_user_token"}),
        ),
        (
            RefreshTokenGrant::new("rt-1").into(),
            json!({"grant_type": "refresh_token", "refresh_token": "rt-1"}),
        ),
        (
            MfaOobGrant::new("oob-1", "654321", "mfa-1").into(),
            json!({"grant_type": "mfa_oob", "oob_code": "oob-1", "binding_code": "654321", "mfa_token": "mfa-1"}),
        ),
        (
            AuthorizationCodeGrant::new(
                IdentType::Email,
                "user@example.org",
                "code-1",
                "https://aud",
            )
            .into(),
            json!({"grant_type": "authorization_code", "ident_type": "email", "ident": "user@example.org",
                   "verification_code": "code-1", "audience": "https://aud"}),
        ),
    ];
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    for (grant, expected) in grants {
        let mock = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path("/accounts/P00000000/auth/token")
                    .header("authorization", format!("Bearer {JWT}"))
                    .json_body(expected);
                then.status(200).json_body(json!({
                    "access_token": "at", "token_type": "Bearer", "expires_in": 60, "refresh_token": "rt-2"
                }));
            })
            .await;
        let token = client
            .authentication()
            .aid_auths_oauth_token_post("P00000000", &grant)
            .await
            .unwrap();
        mock.assert_async().await;
        mock.delete_async().await;
        assert_eq!(token.refresh_token.unwrap().expose(), "rt-2");
    }
}

#[tokio::test]
async fn token_mfa_required_is_a_typed_forbidden() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/P00000000/auth/token");
            then.status(403).json_body(mfa_required());
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let error = client
        .authentication()
        .aid_auths_oauth_token_post("P00000000", &PasswordGrant::new("u", "pw", "aud").into())
        .await
        .unwrap_err();
    let Some(AidAuthsOauthTokenPostError::Forbidden(Some(forbidden))) = error.documented() else {
        panic!("expected 403, got {error:?}");
    };
    assert_eq!(forbidden.error.code.as_deref(), Some("mfa_required"));
    assert_eq!(
        forbidden.error.mfa_token.as_ref().map(|t| t.expose()),
        Some("mfa-2")
    );
}

/// An `error` that is a plain string instead of Dintero's object (no recorded Dintero answer
/// shows one; OAuth servers commonly answer so): still the documented status's typed error,
/// without a decoded body, the text kept in the excerpt.
#[tokio::test]
async fn an_error_that_is_a_plain_string_is_still_the_typed_status() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/P00000000/auth/token");
            then.status(401)
                .json_body(json!({"error": "invalid_token", "error_description": "expired"}));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let error = client
        .authentication()
        .aid_auths_oauth_token_post("P00000000", &RefreshTokenGrant::new("rt").into())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.documented(),
            Some(AidAuthsOauthTokenPostError::Unauthorized(None))
        ),
        "{error:?}"
    );
    assert_eq!(dintero_auth::VendorCode::vendor_code(&error), None);
    let excerpt = error.response_meta().unwrap().raw_body_excerpt();
    assert!(String::from_utf8_lossy(excerpt).contains("invalid_token"));
}

#[tokio::test]
async fn token_throttled_is_typed_with_retry_after() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/P00000000/auth/token");
            then.status(429)
                .header("retry-after", "7")
                .json_body(json!({"error": {"message": "slow down"}}));
        })
        .await;
    // Sent once: the retries that honour `Retry-After` are `bad_input.rs`'s to test.
    let client = dintero(&server.base_url(), Credentials::basic("id", "secret"))
        .with_retry(auth_core::RetryPolicy::disabled());
    let error = client
        .authentication()
        .aid_auths_oauth_token_post("P00000000", &ClientCredentialsGrant::new("aud").into())
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), auth_core::ApiErrorKind::TooManyRequests(_)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(std::time::Duration::from_secs(7)));
}

#[tokio::test]
async fn mfa_challenge_requests_an_sms() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00000000/auth/mfa/challenge")
                .header("authorization", format!("Bearer {JWT}"))
                .header("content-type", "application/json")
                .json_body(
                    json!({"challenge_type": "oob", "oob_channel": "sms", "mfa_token": "mfa-2"}),
                );
            then.status(200).json_body(json!({
                "challenge_type": "oob", "binding_method": "prompt", "oob_code": "oob-9"
            }));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let body = AuthChallenge::new("mfa-2").with_oob_channel(OobChannel::Sms);
    let challenge = client
        .challenge()
        .aid_auth_mfa_challenge_post("P00000000", &body)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(challenge.binding_method, Some(BindingMethod::Prompt));
    assert_eq!(challenge.oob_code.unwrap().expose(), "oob-9");
}

#[tokio::test]
async fn mfa_challenge_not_found_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00000001/auth/mfa/challenge");
            then.status(404)
                .json_body(json!({"error": {"message": "no such account"}}));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let body = AuthChallenge::new("mfa-2");
    let error = client
        .challenge()
        .aid_auth_mfa_challenge_post("P00000001", &body)
        .await
        .unwrap_err();
    assert!(
        matches!(error.documented(), Some(AidAuthMfaChallengePostError::NotFound(Some(e))) if e.error.message == "no such account"),
        "{error:?}"
    );
}

#[tokio::test]
async fn mfa_recovery_sends_the_user_and_audience() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00000000/auth/mfa/recovery")
                .header("authorization", format!("Bearer {JWT}"))
                .json_body(json!({"challenge_type": "oob", "oob_channel": "email",
                                  "username": "user@example.org", "audience": "https://aud"}));
            then.status(200).json_body(json!({
                "challenge_type": "oob", "binding_method": "prompt", "oob_code": "oob-3", "mfa_token": "mfa-3"
            }));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let body =
        MfaRecovery::new("user@example.org", "https://aud").with_oob_channel(OobChannel::Email);
    let recovery = client
        .challenge()
        .aid_auth_mfa_recovery_post("P00000000", &body)
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(recovery.mfa_token.unwrap().expose(), "mfa-3");
}

#[tokio::test]
async fn mfa_recovery_step_answers_a_typed_mfa_required() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00000000/auth/mfa/recovery");
            then.status(403).json_body(mfa_required());
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let body = MfaRecovery::new("user@example.org", "https://aud");
    let error = client
        .challenge()
        .aid_auth_mfa_recovery_post("P00000000", &body)
        .await
        .unwrap_err();
    assert!(
        matches!(error.documented(), Some(AidAuthMfaRecoveryPostError::Forbidden(Some(e))) if e.error.code.as_deref() == Some("mfa_required")),
        "{error:?}"
    );
}

#[tokio::test]
async fn account_ids_are_encoded_as_one_path_segment() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/a%2Fb%3Fc/auth/token");
            then.status(200)
                .json_body(json!({"access_token": "at", "token_type": "Bearer", "expires_in": 1}));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::basic("id", "secret"));
    client
        .authentication()
        .aid_auths_oauth_token_post("a/b?c", &ClientCredentialsGrant::new("aud").into())
        .await
        .unwrap();
    mock.assert_async().await;
    let error = client
        .authentication()
        .aid_auths_oauth_token_post("..", &ClientCredentialsGrant::new("aud").into())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            auth_core::ApiErrorKind::Other(auth_core::Error::InvalidRequest(_))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn exchange_token_trades_a_partner_token_for_a_sub_account_token() {
    use dintero_auth::errors::AidAuthsOauthExchangeTokenPostError;
    use dintero_auth::models::ExchangeToken;
    let server = MockServer::start_async().await;
    let exchanged = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00100000/auth/exchange_token")
                .header("authorization", format!("Bearer {JWT}"))
                .header("content-type", "application/json")
                .json_body(json!({"account_id": "P00100001"}));
            then.status(200).json_body(json!({
                "access_token": "sub-account-jwt", "token_type": "Bearer", "expires_in": 86400
            }));
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    let token = client
        .authentication()
        .aid_auths_oauth_exchange_token_post("P00100000", &ExchangeToken::new("P00100001"))
        .await
        .unwrap();
    exchanged.assert_async().await;
    assert_eq!(token.access_token.expose(), "sub-account-jwt");
    assert_eq!(token.expires_in, 86400);

    let forbidden = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/P00200000/auth/exchange_token");
            then.status(403)
                .json_body(json!({"error": {"code": "forbidden", "message": "not a sub-account"}}));
        })
        .await;
    let error = client
        .authentication()
        .aid_auths_oauth_exchange_token_post("P00200000", &ExchangeToken::new("P00100001"))
        .await
        .unwrap_err();
    forbidden.assert_async().await;
    assert!(
        matches!(error.documented(), Some(AidAuthsOauthExchangeTokenPostError::Forbidden(e)) if e.as_ref().is_some_and(|b| b.error.message == "not a sub-account")),
        "{error:?}"
    );
}

#[tokio::test]
async fn revoke_invalidates_a_refresh_token_with_the_account_token() {
    use dintero_auth::errors::AidAuthsOauthRevokePostError;
    use dintero_auth::models::RevokeToken;
    let server = MockServer::start_async().await;
    let revoked = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/accounts/T00000000/auth/revoke")
                .header("authorization", format!("Bearer {JWT}"))
                .header("content-type", "application/json")
                .json_body(json!({"token": "the-refresh-token"}));
            // The answer is not read: an empty body is as good as `{}`.
            then.status(200);
        })
        .await;
    let client = dintero(&server.base_url(), Credentials::bearer(JWT));
    client
        .authentication()
        .aid_auths_oauth_revoke_post("T00000000", &RevokeToken::new("the-refresh-token"))
        .await
        .unwrap();
    revoked.assert_async().await;

    let unauthorized = server
        .mock_async(|when, then| {
            when.method(POST).path("/accounts/T00000001/auth/revoke");
            then.status(401)
                .json_body(json!({"error": {"code": "unauthorized", "message": "invalid JWT"}}));
        })
        .await;
    let error = client
        .authentication()
        .aid_auths_oauth_revoke_post("T00000001", &RevokeToken::new("the-refresh-token"))
        .await
        .unwrap_err();
    unauthorized.assert_async().await;
    assert!(
        matches!(
            error.documented(),
            Some(AidAuthsOauthRevokePostError::Unauthorized(_))
        ),
        "{error:?}"
    );
    // The refresh token is a secret: no error or debug output shows it.
    assert!(!format!("{error} {error:?}").contains("the-refresh-token"));
}
