//! The vendors' fakes as users get them from the `testing` features: the request log, injected
//! token-endpoint failures, MFA switched on, replies scripted on any route and counted per
//! route, and plex.tv and the media server on servers of their own.

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
    let client = workspace_tests::emnify_logged_in(&server.url(), &config).await;
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

#[tokio::test(start_paused = true)]
async fn a_scripted_429_with_retry_after_on_an_ordinary_endpoint_is_waited_out() {
    use workspace_tests::fakes::{Reply, Times};
    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let base = emnify(&server.url(), Credentials::None);
    let client = base.with_token_provider(emnify_auth::ApplicationToken::new(
        &base,
        config.application_token.clone(),
    ));
    server.script(
        "GET",
        "/api/v1/user/mfa/type",
        Reply::json(429, serde_json::json!({"message": "slow down"})).header("retry-after", "3"),
        Times::Next(1),
    );
    let started = tokio::time::Instant::now();
    let kinds = client.authentication().user_mfa_type_get().await.unwrap();
    assert_eq!(
        kinds.len(),
        1,
        "the fake's own answer, after the scripted one"
    );
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(3));
    assert_eq!(server.hits("GET", "/api/v1/user/mfa/type"), 2);
    assert_eq!(server.hits("POST", "/api/v1/authenticate"), 1);
}

#[tokio::test]
async fn a_scripted_token_endpoint_failure_keeps_its_body_and_is_counted_per_route() {
    use workspace_tests::fakes::{Reply, Times};
    let config = DinteroConfig::default();
    let (_fake, server) = DinteroFake::start(config.clone()).await.unwrap();
    let route = "/accounts/{account}/auth/token";
    server.script(
        "POST",
        route,
        Reply::json(
            400,
            serde_json::json!({"error": {"code": "invalid_client", "message": "unknown client"}}),
        ),
        Times::Always,
    );
    let client = dintero_of_fake(&server.url(), &config);
    let error = client
        .bearer_token()
        .await
        .expect_err("every token request is refused");
    let auth_core::Error::TokenRefresh(refresh) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(refresh.kind(), TokenErrorKind::Rejected);
    assert!(format!("{error:?}").contains("unknown client"), "{error:?}");
    assert_eq!(server.hits("POST", route), 1);
    // Cleared, the fake answers on its own again.
    server.clear_scripts();
    let fresh = dintero_of_fake(&server.url(), &config);
    fresh.bearer_token().await.unwrap();
    assert_eq!(server.hits("POST", route), 2);
}

#[tokio::test]
async fn plex_tv_and_the_media_server_each_answer_only_their_own_routes() {
    use workspace_tests::fakes::plex::PlexFake;
    let config = workspace_tests::plex_config_without_2fa();
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let client = workspace_tests::plex_logged_in(&servers, &config).await;
    // Each server answers its own routes with the account's token...
    client.authentication().get_token_details().await.unwrap();
    let media = client
        .request_to(
            plex_auth::Server::MediaServer,
            Method::GET,
            "/library/sections",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 200);
    // ...and not the other's.
    let media_on_plex_tv = reqwest::Client::new()
        .get(format!("{}/library/sections", servers.plex_tv.url()))
        .header("x-plex-client-identifier", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(media_on_plex_tv.status(), 404);
    let account_on_media = reqwest::Client::new()
        .get(format!("{}/api/v2/user", servers.media_server.url()))
        .header("x-plex-client-identifier", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(account_on_media.status(), 404);
    assert_eq!(servers.media_server.hits("GET", "/library/sections"), 1);
    assert_eq!(servers.plex_tv.hits("GET", "/library/sections"), 1);
}

/// A client from a `testing::builder` sends nothing to a host but 127.0.0.1: not to the spec's
/// own server, not to another local name, not to a connection a vendor's answer lists.
#[tokio::test]
async fn a_client_of_the_test_kit_reaches_no_host_but_the_fakes() {
    use auth_core::Error;

    let config = EmnifyConfig::default();
    let (_fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let client = emnify_auth::testing::builder(&server).build().unwrap();
    assert!(matches!(
        client
            .login(config.username.clone(), config.password.clone())
            .await,
        Ok(LoginOutcome::LoggedIn(_))
    ));
    let refused =
        |error: &Error| matches!(error, Error::HostNotAllowed { host } if host == "localhost");
    let elsewhere = server.url().replace("127.0.0.1", "localhost");
    let moved = client
        .core()
        .with_server_url(emnify_auth::Server::Api, &elsewhere)
        .unwrap();
    let moved = emnify_auth::Client::from(moved);
    let error = moved.login("user", "password").await.unwrap_err();
    assert!(
        matches!(error.kind(), emnify_auth::ApiErrorKind::Other(e) if refused(e)),
        "{error:?}"
    );
    let error = moved
        .request(Method::GET, "/api/v1/endpoint")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), emnify_auth::ApiErrorKind::Other(e) if refused(e)),
        "{error:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "only the first login reached the fake"
    );

    // A server left at the spec's URL is refused before anything is sent.
    let unconfigured = emnify_auth::Client::builder()
        .only_hosts(["127.0.0.1"])
        .build()
        .unwrap();
    assert!(matches!(
        unconfigured.core().server_url(emnify_auth::Server::Api),
        Err(Error::HostNotAllowed { host }) if host == "cdn.emnify.net"
    ));
    let error = unconfigured.login("user", "password").await.unwrap_err();
    assert!(matches!(
        error.kind(),
        emnify_auth::ApiErrorKind::Other(Error::HostNotAllowed { .. })
    ));

    // Plex: every server of the crate is on the fakes, and a connection elsewhere is never tried.
    use plex_auth::testing::{FakeConnection, PlexConfig, PlexFake};
    let config = PlexConfig {
        two_factor_code: None,
        ..PlexConfig::default()
    };
    let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let identity = plex_auth::ClientIdentity::new("test-kit");
    let client = plex_auth::testing::builder(&servers, &identity)
        .build()
        .unwrap();
    for server in [
        plex_auth::Server::PlexTv,
        plex_auth::Server::PlexClients,
        plex_auth::Server::MediaServer,
    ] {
        assert!(
            client
                .core()
                .server_url(server)
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
    }
    let plex_auth::LoginOutcome::LoggedIn(logged_in) = client
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    else {
        panic!("no two-factor code configured");
    };
    fake.set_connections(vec![FakeConnection {
        uri: "http://192.0.2.1:32400".into(),
        local: true,
        relay: false,
    }]);
    let resources = logged_in.client.resources().await.unwrap();
    let resource = resources.iter().find(|r| r.is_server()).unwrap();
    match logged_in.client.connect(resource).await {
        Err(plex_auth::ConnectError::Unreachable { tried, .. }) => {
            assert_eq!(tried.len(), 1);
            assert!(
                tried[0].1.contains("not one this client may reach"),
                "{tried:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
