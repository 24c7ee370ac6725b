//! The vendors' fakes as users get them from the `testing` features: the request log, injected
//! token-endpoint failures, MFA switched on.

use auth_core::{Credentials, Method, RetryPolicy, TokenErrorKind};
use emnify_auth::LoginOutcome;
use workspace_tests::fakes::LoggedRequest;
use workspace_tests::fakes::dintero::{DinteroConfig, DinteroFake};
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};
use workspace_tests::{dintero_of_fake, emnify};

#[tokio::test]
async fn the_log_keeps_method_and_path_of_every_request() {
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    let LoginOutcome::LoggedIn(client) = base
        .login(config.username.clone(), config.password.clone())
        .await
        .unwrap()
    else {
        panic!("no MFA configured");
    };
    client
        .request(Method::GET, "/api/v1/endpoint")
        .send()
        .await
        .unwrap();
    let logged = |method: &str, path: &str| LoggedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
    };
    assert_eq!(
        server.requests(),
        [
            logged("POST", "/api/v1/authenticate"),
            logged("GET", "/api/v1/endpoint")
        ]
    );
}

#[tokio::test]
async fn the_next_token_requests_fail_with_the_chosen_status() {
    let config = DinteroConfig::default();
    let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let client = dintero_of_fake(&server.url(), &config).with_retry(RetryPolicy::disabled());
    server.fail_token_requests(1, 503);

    let error = client.bearer_token().await.unwrap_err();
    let auth_core::Error::TokenRefresh(refresh) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(refresh.kind(), TokenErrorKind::Unavailable);
    assert_eq!(refresh.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        fake.token_requests(),
        0,
        "the failure was injected before the fake"
    );

    // The injected failure is used up: after the token source's back-off, a token comes.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client.bearer_token().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn mfa_switched_on_asks_for_a_code_the_key_computes() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let secret = fake.enable_mfa();
    let base = emnify(&server.url(), Credentials::None);
    let LoginOutcome::MfaRequired(pending) = base
        .login(config.username.clone(), config.password.clone())
        .await
        .unwrap()
    else {
        panic!("MFA is on");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = emnify_auth::totp::code_at(&secret, now).unwrap();
    pending.complete(&code).await.unwrap();
    assert_eq!(fake.logins(), 1);
}
